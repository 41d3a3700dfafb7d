import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Unavailable } from '../../src/errors.js';
import { RevocationList } from '../../src/services/revocation-list.js';
import type { RevocationStore } from '../../src/store/store.js';
import { ManualClock } from '../helpers/clock.js';
import { sqliteStore, type OpenedStore } from '../helpers/stores.js';

describe('RevocationList', () => {
  let opened: OpenedStore;
  before(async () => {
    opened = await sqliteStore();
  });
  after(() => opened.dispose());

  function counting(store: RevocationStore): { store: RevocationStore; reads: () => number } {
    let reads = 0;
    return {
      store: { ...store, add: store.add.bind(store), prune: store.prune.bind(store), since: (s, n) => (reads++, store.since(s, n)) },
      reads: () => reads,
    };
  }

  it('answers from memory between looks at the store', async () => {
    const clock = new ManualClock();
    const { store, reads } = counting(opened.store.revocations);
    const list = new RevocationList(store, clock, 2);
    assert.equal(await list.isRevoked('a'), false);
    assert.equal(reads(), 1);
    for (let i = 0; i < 100; i++) await list.isRevoked('a');
    assert.equal(reads(), 1);
  });

  it('learns what another instance revoked at its next look, and forgets tokens once expired', async () => {
    const clock = new ManualClock();
    const here = new RevocationList(opened.store.revocations, clock, 2);
    const there = new RevocationList(opened.store.revocations, clock, 2);
    const evicted: string[] = [];
    there.onRevoked((jti) => evicted.push(jti));
    await there.refresh();
    await here.revoke({ jti: 'shared', expiresAt: clock.now() + 60_000 });
    assert.equal(await here.isRevoked('shared'), true);
    assert.equal(await there.isRevoked('shared'), false);
    await there.refresh();
    assert.equal(await there.isRevoked('shared'), true);
    assert.deepEqual(evicted, ['shared']);
    // A second look over the overlap window does not announce it again.
    await there.refresh();
    assert.deepEqual(evicted, ['shared']);
    clock.advance(60_000);
    assert.equal(await there.isRevoked('shared'), false);
  });

  it('answers isRevokedIfKnown from memory only: undefined, with no read, once stale', async () => {
    const clock = new ManualClock();
    const { store, reads } = counting(opened.store.revocations);
    const list = new RevocationList(store, clock, 2);
    assert.equal(list.isRevokedIfKnown('a'), undefined, 'never read yet');
    assert.equal(reads(), 0);
    await list.revoke({ jti: 'a', expiresAt: clock.now() + 60_000 });
    await list.refresh();
    assert.equal(list.isRevokedIfKnown('a'), true);
    assert.equal(list.isRevokedIfKnown('b'), false);
    clock.advance(list.maxAgeMs + 1);
    assert.equal(list.isRevokedIfKnown('a'), undefined);
    assert.equal(list.isRevokedIfKnown('b'), undefined);
    assert.equal(reads(), 1);
  });

  it('reads the store on a check when stale, and fails closed while it cannot', async () => {
    const clock = new ManualClock();
    let down = false;
    const real = opened.store.revocations;
    const store: RevocationStore = {
      add: (t, at) => real.add(t, at),
      prune: (n) => real.prune(n),
      since: (s, n) => (down ? Promise.reject(new Error('connection refused')) : real.since(s, n)),
    };
    const list = new RevocationList(store, clock, 2);
    await list.refresh();
    down = true;
    clock.advance(list.maxAgeMs);
    assert.equal(await list.isRevoked('x'), false); // still within the allowed age
    clock.advance(1);
    await assert.rejects(async () => list.isRevoked('x'), Unavailable);
    await assert.rejects(async () => list.isRevoked('x'), Unavailable);
    down = false;
    clock.advance(1_000);
    assert.equal(await list.isRevoked('x'), false);
  });
});

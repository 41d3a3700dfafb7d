import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ENTRY_OVERHEAD_BYTES, VerifiedTokenCache } from '../../src/tokens/verified-cache.js';

/** Tokens that differ at the end, as signed tokens do (the cache is keyed by their tail). */
const token = (n: number, length = 100): string => `.${n}`.padStart(length, 'x');
const cost = (length: number): number => length + ENTRY_OVERHEAD_BYTES;
/** Keeps a token from its first set: these tests are about what is kept and evicted, not about admission. */
const AT_ONCE = { admitAtFirstSet: true } as const;

describe('VerifiedTokenCache', () => {
  it('serves an entry until its expiry', () => {
    const cache = new VerifiedTokenCache<{ jti: string }>({ maxEntries: 10, ...AT_ONCE });
    cache.set(token(1), { jti: 'a' }, 100);
    assert.deepEqual(cache.get(token(1), 99), { jti: 'a' });
    assert.equal(cache.get(token(1), 100), undefined);
    assert.equal(cache.size, 0);
    assert.equal(cache.sizeInBytes, 0);
  });

  it('drops the oldest entry past maxEntries', () => {
    const cache = new VerifiedTokenCache<{ jti: string }>({ maxEntries: 2, ...AT_ONCE });
    for (const n of [1, 2, 3]) cache.set(token(n), { jti: String(n) }, 100);
    assert.equal(cache.get(token(1), 0), undefined);
    assert.ok(cache.get(token(2), 0) && cache.get(token(3), 0));
  });

  it('drops the oldest entries past maxBytes, counting token length and overhead', () => {
    const cache = new VerifiedTokenCache<{ jti: string }>({ maxEntries: 100, maxBytes: cost(100) * 3, ...AT_ONCE });
    for (const n of [1, 2, 3]) cache.set(token(n), { jti: String(n) }, 100);
    assert.equal(cache.sizeInBytes, cost(100) * 3);
    cache.set(token(4, 250), { jti: '4' }, 100); // takes the room of two short ones
    assert.equal(cache.get(token(1), 0), undefined);
    assert.equal(cache.get(token(2), 0), undefined);
    assert.ok(cache.get(token(3), 0) && cache.get(token(4, 250), 0));
    assert.equal(cache.sizeInBytes, cost(100) + cost(250));
  });

  it('does not keep a token larger than maxBytes, nor anything when maxEntries is 0', () => {
    const small = new VerifiedTokenCache<{ jti: string }>({ maxEntries: 10, maxBytes: cost(100), ...AT_ONCE });
    small.set(token(1), { jti: '1' }, 100);
    small.set(token(2, 101), { jti: '2' }, 100);
    assert.equal(small.size, 1);
    assert.ok(small.get(token(1), 0), 'the entry already there stays');
    const off = new VerifiedTokenCache<{ jti: string }>(0);
    off.set(token(1), { jti: '1' }, 100);
    assert.equal(off.size, 0);
  });

  it('counts a token set twice once', () => {
    const cache = new VerifiedTokenCache<{ jti: string }>({ maxEntries: 10, maxBytes: cost(100) * 2, ...AT_ONCE });
    cache.set(token(1), { jti: '1' }, 100);
    cache.set(token(1), { jti: '1' }, 100);
    cache.set(token(2), { jti: '2' }, 100);
    assert.equal(cache.size, 2);
    assert.equal(cache.sizeInBytes, cost(100) * 2);
  });

  it('answers only for the very token verified, not for one that ends the same', () => {
    const tail = 's'.repeat(80);
    const cache = new VerifiedTokenCache<{ jti: string }>({ maxEntries: 10, ...AT_ONCE });
    cache.set(`aaa.bbb.${tail}`, { jti: 'one' }, 100);
    assert.deepEqual(cache.get(`aaa.bbb.${tail}`, 50), { jti: 'one' });
    assert.equal(cache.get(`aaa.ccc.${tail}`, 50), undefined);
    cache.set(`aaa.ccc.${tail}`, { jti: 'two' }, 100);
    assert.equal(cache.get(`aaa.bbb.${tail}`, 50), undefined, 'the newer token took the slot');
    assert.equal(cache.size, 1);
  });

  it('evicts by jti and clears, giving the bytes back', () => {
    const cache = new VerifiedTokenCache<{ jti: string }>({ maxEntries: 10, maxBytes: 1 << 20, ...AT_ONCE });
    cache.set(token(1), { jti: 'a' }, 100);
    cache.set(token(2), { jti: 'b' }, 100);
    cache.evictJti('a');
    assert.equal(cache.get(token(1), 0), undefined);
    assert.equal(cache.sizeInBytes, cost(100));
    cache.clear();
    assert.equal(cache.size, 0);
    assert.equal(cache.sizeInBytes, 0);
  });
  it('evicts the oldest live entry, whatever was deleted or set again before it', () => {
    const cache = new VerifiedTokenCache<{ jti: string }>({ maxEntries: 3, ...AT_ONCE });
    for (const n of [1, 2, 3]) cache.set(token(n), { jti: String(n) }, 100);
    cache.evictJti('1'); // the oldest goes by revocation
    cache.set(token(2), { jti: '2' }, 100); // set again: now the newest
    cache.set(token(4), { jti: '4' }, 100); // room left: nothing evicted
    assert.equal(cache.size, 3);
    cache.set(token(5), { jti: '5' }, 100);
    assert.equal(cache.get(token(3), 0), undefined, '3 is the oldest live entry');
    cache.set(token(6), { jti: '6' }, 100);
    assert.equal(cache.get(token(2), 0), undefined, 'then 2, set again after 3');
    assert.ok(cache.get(token(4), 0) && cache.get(token(5), 0) && cache.get(token(6), 0));
  });

  it('keeps its eviction order through heavy churn of expiring and revoked entries', () => {
    const cache = new VerifiedTokenCache<{ jti: string }>({ maxEntries: 4, ...AT_ONCE });
    cache.set(token(0), { jti: 'keep-0' }, 1000);
    cache.set(token(1), { jti: 'keep-1' }, 1000);
    // Thousands of entries deleted before eviction reaches them: by expiry on a lookup, or by jti.
    for (let n = 2; n < 20_000; n++) {
      cache.set(token(n), { jti: String(n) }, 10);
      if (n % 2 === 0) assert.equal(cache.get(token(n), 10), undefined);
      else cache.evictJti(String(n));
    }
    assert.equal(cache.size, 2);
    assert.equal(cache.sizeInBytes, cost(100) * 2);
    for (const n of [20_001, 20_002, 20_003]) cache.set(token(n), { jti: String(n) }, 1000);
    assert.equal(cache.get(token(0), 0), undefined, 'the oldest live entry went first');
    assert.deepEqual(cache.get(token(1), 0), { jti: 'keep-1' });
    assert.equal(cache.size, 4);
  });
  it('lets go of deleted entries it has not reached yet, once they outnumber a quarter of the live ones', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const cache = new VerifiedTokenCache<{ jti: string }>({ maxEntries: 1000, ...AT_ONCE });
    for (let n = 0; n < 100; n++) cache.set(token(n), { jti: 'live' }, 1000);
    // 300 entries revoked before eviction reaches them: without compaction all 300 stay referenced.
    const revoked: WeakRef<{ jti: string }>[] = [];
    for (let n = 100; n < 400; n++) {
      const value = { jti: `revoked-${n}` };
      revoked.push(new WeakRef(value));
      cache.set(token(n), value, 1000);
      cache.evictJti(value.jti);
    }
    await nextTurn();
    gc();
    const held = revoked.filter((ref) => ref.deref() !== undefined).length;
    assert.ok(held <= 100 / 4 + 64, `${held} revoked entries still held`);
    assert.equal(cache.size, 100);
  });

  describe('admission', () => {
    it('keeps a token from its second verification on', () => {
      const cache = new VerifiedTokenCache<{ jti: string }>(10);
      cache.set(token(1), { jti: '1' }, 100);
      assert.equal(cache.get(token(1), 0), undefined, 'not kept at its first verification');
      assert.equal(cache.size, 0);
      cache.set(token(1), { jti: '1' }, 100);
      assert.deepEqual(cache.get(token(1), 0), { jti: '1' });
      assert.equal(cache.sizeInBytes, cost(100));
    });

    it('lets no run of one-time tokens push out a token in use', () => {
      const cache = new VerifiedTokenCache<{ jti: string }>({ maxEntries: 100 });
      for (const _ of [1, 2]) cache.set(token(0), { jti: 'reused' }, 1000);
      for (let n = 1; n <= 10_000; n++) cache.set(token(n), { jti: String(n) }, 1000);
      assert.deepEqual(cache.get(token(0), 0), { jti: 'reused' });
      assert.equal(cache.size, 1, 'no one-time token kept');
    });

    it('admits a reused token even after other tokens were verified in between', () => {
      // 100 entries: 512 fingerprint slots; 100 other tokens in between leave most prints in place.
      const cache = new VerifiedTokenCache<{ jti: string }>({ maxEntries: 100 });
      const reused = Array.from({ length: 50 }, (_, n) => token(n));
      for (const t of reused) cache.set(t, { jti: t }, 1000);
      for (let n = 1000; n < 1100; n++) cache.set(token(n), { jti: String(n) }, 1000);
      for (const t of reused) cache.set(t, { jti: t }, 1000);
      const kept = reused.filter((t) => cache.get(t, 0) !== undefined).length;
      assert.ok(kept >= 35, `${kept} of 50 reused tokens kept`);
    });
  });
});

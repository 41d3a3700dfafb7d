import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Conflict } from '../../src/errors.js';
import type { NewUser, SigningKeyRecord, Store } from '../../src/store/store.js';
import type { OpenedStore, StoreFactory } from '../helpers/stores.js';

function newUser(username: string, extra: Partial<NewUser> = {}): NewUser {
  return {
    id: randomUUID(),
    username,
    usernameNormalized: username.toLowerCase(),
    email: `${username.toLowerCase()}@example.com`,
    fullName: null,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA',
    disabled: false,
    roles: ['user'],
    createdAt: 1_700_000_000_000,
    ...extra,
  };
}

function key(kid: string, createdAt: number, alg = 'ES256'): SigningKeyRecord {
  return { kid, alg, publicJwk: `{"kid":"${kid}"}`, privateKey: 'pem', createdAt, retiredAt: null };
}

/** Users, signing keys and audit events: what every Store backend must do. */
export function coreStoreContract(name: string, open: StoreFactory): void {
  describe(`store contract (users, keys, audit): ${name}`, () => {
    let fixture: OpenedStore;
    let store: Store;
    before(async () => {
      fixture = await open();
      store = fixture.store;
    });
    after(() => fixture.dispose());

    it('migrates idempotently and answers ping', async () => {
      assert.deepEqual(await store.migrate(), []);
      await store.ping();
    });

    it('creates users with roles and finds them by id and normalised name', async () => {
      const user = newUser('Carol', { roles: ['user', 'admin'], fullName: 'Carol C' });
      await store.users.create(user);
      const byId = await store.users.findById(user.id);
      assert.equal(byId?.username, 'Carol');
      assert.deepEqual(byId?.roles, ['admin', 'user']);
      assert.equal(byId?.fullName, 'Carol C');
      assert.equal(byId?.disabled, false);
      assert.equal(byId?.createdAt, 1_700_000_000_000);
      const byName = await store.users.findByUsername('carol');
      assert.equal(byName?.id, user.id);
      assert.equal(await store.users.findByUsername('nobody'), undefined);
    });

    it('refuses a second user with the same normalised name, with Conflict', async () => {
      await store.users.create(newUser('dave'));
      await assert.rejects(store.users.create(newUser('Dave', { usernameNormalized: 'dave' })), Conflict);
    });

    it('imports many in one transaction and skips existing names', async () => {
      const result = await store.users.createMany([newUser('erin'), newUser('dave'), newUser('frank', { roles: [] })]);
      assert.equal(result.created, 2);
      assert.deepEqual(result.skipped, ['dave']);
      assert.deepEqual((await store.users.findByUsername('frank'))?.roles, []);
    });

    it('lists with paging and search, counting the total', async () => {
      const page = await store.users.list({ limit: 2, offset: 0 });
      assert.equal(page.users.length, 2);
      assert.equal(page.total, await store.users.count());
      const found = await store.users.list({ limit: 10, offset: 0, search: 'eri' });
      assert.deepEqual(
        found.users.map((u) => u.username),
        ['erin'],
      );
      const none = await store.users.list({ limit: 10, offset: 0, search: '%' });
      assert.equal(none.total, 0);
    });

    it('updates profile, roles and the disabled flag', async () => {
      const user = await store.users.create(newUser('gina'));
      const updated = await store.users.update(user.id, { disabled: true, roles: ['admin'], email: null }, 1_800_000_000_000);
      assert.equal(updated?.disabled, true);
      assert.deepEqual(updated?.roles, ['admin']);
      assert.equal(updated?.email, null);
      assert.equal(updated?.updatedAt, 1_800_000_000_000);
      assert.equal(await store.users.update(randomUUID(), { disabled: true }, 1), undefined);
    });

    it('replaces a password hash only while it is the expected one (compare-and-set)', async () => {
      const user = await store.users.create(newUser('hank'));
      const results = await Promise.all([
        store.users.replacePasswordHash(user.id, user.passwordHash, 'new-1', 2),
        store.users.replacePasswordHash(user.id, user.passwordHash, 'new-2', 2),
      ]);
      assert.deepEqual(results.filter(Boolean).length, 1);
      const now = await store.users.findById(user.id);
      assert.ok(now?.passwordHash === 'new-1' || now?.passwordHash === 'new-2');
    });

    it('hands out stored password hashes that do not start with a prefix, taken literally (no LIKE wildcards)', async () => {
      const current = '$argon2id$v=19$m=19456,t=2,p=1$';
      const bcrypt = '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW';
      const stronger = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA';
      for (const [name, passwordHash] of [['hk-bcrypt', bcrypt], ['hk-strong', stronger], ['hk-literal', 'a_b%c'], ['hk-decoy', 'aXbYc'], ['hk-none', null]] as const) {
        await store.users.create(newUser(name, { passwordHash }));
      }
      const others = await store.users.hashesWithoutPrefix(current, 1000);
      for (const hash of [bcrypt, stronger, 'a_b%c', 'aXbYc']) assert.ok(others.includes(hash), hash);
      assert.ok(others.every((hash) => typeof hash === 'string' && !hash.startsWith(current)));
      const literal = await store.users.hashesWithoutPrefix('a_b%', 1000);
      assert.ok(literal.includes('aXbYc') && !literal.includes('a_b%c'));
      assert.equal((await store.users.hashesWithoutPrefix(current, 1)).length, 1);
    });

    it('deletes a user and their roles', async () => {
      const user = await store.users.create(newUser('ivan'));
      assert.equal(await store.users.delete(user.id), true);
      assert.equal(await store.users.findById(user.id), undefined);
      assert.equal(await store.users.delete(user.id), false);
    });

    it('keeps signing keys: first key once, rotation retires the old, prune drops long-retired ones', async () => {
      assert.equal(await store.signingKeys.addIfNone(key('k1', 1000)), true);
      assert.equal(await store.signingKeys.addIfNone(key('k1b', 1001)), false);
      await store.signingKeys.rotate(key('k2', 2000), 2000);
      const keys = await store.signingKeys.list();
      assert.deepEqual(
        keys.map((k) => [k.kid, k.retiredAt]),
        [
          ['k2', null],
          ['k1', 2000],
        ],
      );
      assert.equal(await store.signingKeys.prune(1500), 0);
      assert.equal(await store.signingKeys.prune(2001), 1);
      assert.deepEqual(
        (await store.signingKeys.list()).map((k) => k.kid),
        ['k2'],
      );
    });

    it('replaces private keys only where they are still as expected; of two racing replacements one takes every row', async () => {
      await store.signingKeys.rotate({ ...key('r1', 3000, 'RS256'), privateKey: 'pem-1' }, 3000);
      await store.signingKeys.rotate({ ...key('r2', 3001, 'RS256'), privateKey: 'pem-2' }, 3001);
      const privateKeys = async () => new Map((await store.signingKeys.list()).filter((k) => k.alg === 'RS256').map((k) => [k.kid, k.privateKey]));
      const change = (tag: string) => [
        { kid: 'r2', expected: 'pem-2', next: `${tag}-2` },
        { kid: 'r1', expected: 'pem-1', next: `${tag}-1` },
      ];

      assert.equal(await store.signingKeys.replacePrivateKeys([{ kid: 'r1', expected: 'not this', next: 'x' }]), 0);
      assert.equal(await store.signingKeys.replacePrivateKeys([]), 0);
      assert.deepEqual(await privateKeys(), new Map([['r1', 'pem-1'], ['r2', 'pem-2']]));

      const results = await Promise.all([store.signingKeys.replacePrivateKeys(change('a')), store.signingKeys.replacePrivateKeys(change('b'))]);
      assert.deepEqual([...results].sort(), [0, 2]);
      const winner = results[0] === 2 ? 'a' : 'b';
      assert.deepEqual(await privateKeys(), new Map([['r1', `${winner}-1`], ['r2', `${winner}-2`]]));
      assert.equal(await store.signingKeys.replacePrivateKeys(change('c')), 0, 'no longer as expected');
    });

    it('records and lists audit events newest first', async () => {
      for (let i = 0; i < 3; i++) {
        await store.audit.record({
          id: randomUUID(),
          at: 5000 + i,
          type: i === 2 ? 'login.failure' : 'login.success',
          userId: null,
          username: 'x',
          clientId: null,
          ip: '127.0.0.1',
          detail: { n: i },
        });
      }
      const all = await store.audit.list({ limit: 10, offset: 0 });
      assert.equal(all.total, 3);
      assert.deepEqual(all.events[0]?.detail, { n: 2 });
      const failures = await store.audit.list({ limit: 10, offset: 0, type: 'login.failure' });
      assert.equal(failures.total, 1);
    });
  });
}

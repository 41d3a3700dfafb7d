import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Conflict } from '../../src/errors.js';
import type { NewRefreshToken, Store } from '../../src/store/store.js';
import type { OpenedStore, StoreFactory } from '../helpers/stores.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

/** Clients, refresh families and revocations: what every Store backend must do. */
export function oauthStoreContract(backend: string, open: StoreFactory): void {
  describe(`store contract (OAuth): ${backend}`, () => {
    let opened: OpenedStore;
    let store: Store;
    before(async () => {
      opened = await open();
      store = opened.store;
    });
    after(() => opened.dispose());

    async function newUser(): Promise<string> {
      const id = randomUUID();
      await store.users.create({
        id,
        username: `u-${id}`,
        usernameNormalized: `u-${id}`,
        email: null,
        fullName: null,
        passwordHash: null,
        disabled: false,
        roles: ['user'],
        createdAt: T0,
      });
      return id;
    }

    function token(n: string, at = T0): NewRefreshToken {
      return { hash: `hash-${n}-${randomUUID()}`, createdAt: at, accessJti: `jti-${n}-${randomUUID()}`, accessExpiresAt: at + 15 * 60_000 };
    }

    async function newFamily(userId: string, clientId = 'gatehouse', first = token('first')): Promise<{ familyId: string; first: NewRefreshToken }> {
      const familyId = randomUUID();
      await store.refresh.startFamily({ id: familyId, userId, clientId, scopes: ['me', 'admin'], createdAt: T0, expiresAt: T0 + 30 * DAY }, first);
      return { familyId, first };
    }

    describe('clients', () => {
      it('creates, finds, lists and deletes clients; a duplicate id is a Conflict', async () => {
        const id = randomUUID();
        await store.clients.create({ id, name: 'billing', secretHash: 'h', scopes: ['billing:read', 'billing:write'], createdAt: T0 });
        await store.clients.create({ id: `${id}-p`, name: 'spa', secretHash: null, scopes: [], createdAt: T0 + 1 });
        assert.deepEqual(await store.clients.findById(id), {
          id,
          name: 'billing',
          secretHash: 'h',
          scopes: ['billing:read', 'billing:write'],
          createdAt: T0,
        });
        assert.deepEqual((await store.clients.findById(`${id}-p`))?.scopes, []);
        await assert.rejects(store.clients.create({ id, name: 'again', secretHash: null, scopes: [], createdAt: T0 }), Conflict);
        const { clients, total } = await store.clients.list({ limit: 100, offset: 0 });
        assert.ok(total >= 2);
        assert.ok(clients.some((c) => c.id === id));
        assert.deepEqual(await store.clients.delete(id, T0), { deleted: true, revokedAccessTokens: [] });
        assert.equal(await store.clients.findById(id), undefined);
        assert.equal((await store.clients.delete(id, T0)).deleted, false);
      });

      it('revokes the families of a deleted client', async () => {
        const id = randomUUID();
        await store.clients.create({ id, name: 'app', secretHash: null, scopes: [], createdAt: T0 });
        const { familyId, first } = await newFamily(await newUser(), id);
        const { revokedAccessTokens } = await store.clients.delete(id, T0 + 1000);
        assert.deepEqual(revokedAccessTokens, [{ jti: first.accessJti, expiresAt: first.accessExpiresAt }]);
        const found = await store.refresh.find(first.hash);
        assert.equal(found?.family.id, familyId);
        assert.equal(found?.family.revokedAt, T0 + 1000);
        assert.equal(found?.family.revokedReason, 'client_deleted');
      });
    });

    describe('refresh families', () => {
      it('starts a family and finds its token by hash', async () => {
        const userId = await newUser();
        const { familyId, first } = await newFamily(userId);
        const found = await store.refresh.find(first.hash);
        assert.deepEqual(found, {
          token: { hash: first.hash, familyId, createdAt: T0, usedAt: null },
          family: {
            id: familyId,
            userId,
            clientId: 'gatehouse',
            scopes: ['me', 'admin'],
            createdAt: T0,
            expiresAt: T0 + 30 * DAY,
            lastUsedAt: null,
            revokedAt: null,
            revokedReason: null,
          },
        });
        assert.equal(await store.refresh.find('no-such-hash'), undefined);
      });

      it('starts a family with its login event in one transaction; a family that cannot start leaves no event', async () => {
        const userId = await newUser();
        const event = {
          id: randomUUID(),
          at: T0,
          type: 'login.success',
          userId,
          username: 'alice',
          clientId: 'gatehouse',
          ip: '127.0.0.1',
          detail: null,
        };
        const { first } = await newFamily(userId);
        const familyId = randomUUID();
        const family = { id: familyId, userId, clientId: 'gatehouse', scopes: ['me'], createdAt: T0, expiresAt: T0 + DAY };
        await store.refresh.startFamily(family, token('with-event'), event);
        // The same first token again: the family cannot start, and its event is not written either.
        await assert.rejects(store.refresh.startFamily({ ...family, id: randomUUID() }, first, { ...event, id: randomUUID() }));
        const { events } = await store.audit.list({ limit: 10, offset: 0, userId });
        assert.deepEqual(
          events.map((e) => [e.id, e.type, e.username, e.clientId, e.ip, e.detail]),
          [[event.id, 'login.success', 'alice', 'gatehouse', '127.0.0.1', null]],
        );
        const live = await store.refresh.listLive(userId, T0, { limit: 10, offset: 0 });
        assert.equal(live.total, 2, 'the first family and the one with the event; not the one that failed');
        assert.ok(live.families.some((f) => f.id === familyId));
      });

      it('rotates a token once; the same token again is reused', async () => {
        const { familyId, first } = await newFamily(await newUser());
        const second = token('second', T0 + 1000);
        assert.equal(await store.refresh.rotate(first.hash, familyId, second, T0 + 1000), 'rotated');
        assert.equal((await store.refresh.find(first.hash))?.token.usedAt, T0 + 1000);
        assert.equal((await store.refresh.find(second.hash))?.family.lastUsedAt, T0 + 1000);
        assert.equal(await store.refresh.rotate(first.hash, familyId, token('third'), T0 + 2000), 'reused');
      });

      it('lets exactly one of many concurrent rotations of one token win', async () => {
        const { familyId, first } = await newFamily(await newUser());
        const outcomes = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.refresh.rotate(first.hash, familyId, token(`next${i}`, T0 + 1000), T0 + 1000)),
        );
        assert.equal(outcomes.filter((o) => o === 'rotated').length, 1);
        assert.equal(outcomes.filter((o) => o === 'reused').length, 7);
      });

      it('does not rotate in an ended family, and leaves the token unused', async () => {
        const userId = await newUser();
        const revoked = await newFamily(userId);
        await store.refresh.revokeFamilies({ familyId: revoked.familyId }, T0 + 10, 'test');
        assert.equal(await store.refresh.rotate(revoked.first.hash, revoked.familyId, token('n'), T0 + 20), 'family_ended');
        assert.equal((await store.refresh.find(revoked.first.hash))?.token.usedAt, null);
        const expired = await newFamily(userId);
        assert.equal(await store.refresh.rotate(expired.first.hash, expired.familyId, token('n'), T0 + 30 * DAY), 'family_ended');
        assert.equal((await store.refresh.find(expired.first.hash))?.token.usedAt, null);
      });

      it('records a rotation’s audit event with it, and only when it rotated', async () => {
        const userId = await newUser();
        const { familyId, first } = await newFamily(userId);
        const event = (outcome: string) => ({
          id: randomUUID(),
          at: T0 + 1000,
          type: 'refresh.rotated',
          userId,
          username: null,
          clientId: 'gatehouse',
          ip: '127.0.0.1',
          detail: { family: familyId, outcome },
        });
        assert.equal(await store.refresh.rotate(first.hash, familyId, token('second', T0 + 1000), T0 + 1000, event('rotated')), 'rotated');
        assert.equal(await store.refresh.rotate(first.hash, familyId, token('third', T0 + 2000), T0 + 2000, event('reused')), 'reused');
        const ended = await newFamily(userId);
        await store.refresh.revokeFamilies({ familyId: ended.familyId }, T0 + 10, 'test');
        assert.equal(await store.refresh.rotate(ended.first.hash, ended.familyId, token('n'), T0 + 20, event('family_ended')), 'family_ended');
        const { events } = await store.audit.list({ limit: 10, offset: 0, userId });
        assert.deepEqual(
          events.map((e) => [e.type, e.at, e.clientId, e.ip, e.detail]),
          [['refresh.rotated', T0 + 1000, 'gatehouse', '127.0.0.1', { family: familyId, outcome: 'rotated' }]],
        );
      });

      it('gives each of concurrent rotations of different families its own outcome; one that fails changes nothing', async () => {
        const userId = await newUser();
        const live = await newFamily(userId);
        const revoked = await newFamily(userId);
        await store.refresh.revokeFamilies({ familyId: revoked.familyId }, T0 + 10, 'test');
        const used = await newFamily(userId);
        assert.equal(await store.refresh.rotate(used.first.hash, used.familyId, token('used2', T0 + 20), T0 + 20), 'rotated');
        const failing = await newFamily(userId);
        const at = T0 + 30;
        const settled = await Promise.allSettled([
          store.refresh.rotate(live.first.hash, live.familyId, token('live2', at), at),
          store.refresh.rotate(revoked.first.hash, revoked.familyId, token('revoked2', at), at),
          store.refresh.rotate(used.first.hash, used.familyId, token('used3', at), at),
          // Its next token's hash is already taken: the insert fails.
          store.refresh.rotate(failing.first.hash, failing.familyId, { ...token('failing2', at), hash: live.first.hash }, at),
        ]);
        assert.deepEqual(
          settled.map((s) => (s.status === 'fulfilled' ? s.value : 'failed')),
          ['rotated', 'family_ended', 'reused', 'failed'],
        );
        assert.equal((await store.refresh.find(live.first.hash))?.token.usedAt, at);
        assert.equal((await store.refresh.find(revoked.first.hash))?.token.usedAt, null);
        assert.equal((await store.refresh.find(failing.first.hash))?.token.usedAt, null);
        assert.equal((await store.refresh.find(failing.first.hash))?.family.lastUsedAt, null);
        assert.equal(await store.refresh.rotate(failing.first.hash, failing.familyId, token('failing3', at + 1), at + 1), 'rotated');
      });

      it('revokes families by id, by user and by client, with their unexpired access tokens', async () => {
        const userId = await newUser();
        const a = await newFamily(userId);
        const second = token('second', T0 + 60_000);
        await store.refresh.rotate(a.first.hash, a.familyId, second, T0 + 60_000);
        // At T0+15.5min the first access token has expired; only the second is still live.
        const at = T0 + 15.5 * 60_000;
        const byId = await store.refresh.revokeFamilies({ familyId: a.familyId }, at, 'reuse');
        assert.deepEqual(byId, { families: 1, revokedAccessTokens: [{ jti: second.accessJti, expiresAt: second.accessExpiresAt }] });
        assert.deepEqual(await store.revocations.since(at, at), [{ jti: second.accessJti, expiresAt: second.accessExpiresAt }]);
        assert.equal((await store.refresh.find(second.hash))?.family.revokedReason, 'reuse');
        // Revoking again changes nothing.
        assert.deepEqual(await store.refresh.revokeFamilies({ familyId: a.familyId }, at + 1, 'again'), { families: 0, revokedAccessTokens: [] });

        const b = await newFamily(userId);
        const c = await newFamily(userId);
        const other = await newFamily(await newUser());
        const byUser = await store.refresh.revokeFamilies({ userId }, T0 + 1, 'password_changed');
        assert.equal(byUser.families, 2);
        assert.deepEqual(byUser.revokedAccessTokens.map((t) => t.jti).sort(), [b.first.accessJti, c.first.accessJti].sort());
        assert.equal((await store.refresh.find(other.first.hash))?.family.revokedAt, null);

        const clientId = randomUUID();
        const d = await newFamily(await newUser(), clientId);
        assert.equal((await store.refresh.revokeFamilies({ clientId }, T0 + 1, 'x')).families, 1);
        assert.notEqual((await store.refresh.find(d.first.hash))?.family.revokedAt, null);
      });

      it('ends all of a user’s families but the one that issued a given access token, found by any of its tokens', async () => {
        const userId = await newUser();
        const kept = await newFamily(userId);
        const later = token('kept-later', T0 + 60_000);
        await store.refresh.rotate(kept.first.hash, kept.familyId, later, T0 + 60_000);
        const ended = await newFamily(userId);
        const result = await store.refresh.revokeFamilies({ userId, keepFamilyOf: later.accessJti }, T0 + 61_000, 'password_changed');
        assert.deepEqual(result, { families: 1, revokedAccessTokens: [{ jti: ended.first.accessJti, expiresAt: ended.first.accessExpiresAt }] });
        assert.equal((await store.refresh.find(later.hash))?.family.revokedAt, null);
        assert.equal((await store.refresh.find(ended.first.hash))?.family.revokedReason, 'password_changed');

        // Another user's access token keeps nothing of this user's; an unknown one keeps nothing either.
        const stranger = await newFamily(await newUser());
        const mine = await newFamily(userId);
        const again = await store.refresh.revokeFamilies({ userId, keepFamilyOf: stranger.first.accessJti }, T0 + 62_000, 'password_changed');
        assert.equal(again.families, 2);
        assert.equal((await store.refresh.find(mine.first.hash))?.family.revokedReason, 'password_changed');
        assert.equal((await store.refresh.find(stranger.first.hash))?.family.revokedAt, null);
        const none = await newFamily(userId);
        assert.equal((await store.refresh.revokeFamilies({ userId, keepFamilyOf: randomUUID() }, T0 + 63_000, 'x')).families, 1);
        assert.notEqual((await store.refresh.find(none.first.hash))?.family.revokedAt, null);
      });

      it('ends one family only for the user it belongs to', async () => {
        const owner = await newUser();
        const stranger = await newUser();
        const { familyId, first } = await newFamily(owner);
        assert.deepEqual(await store.refresh.revokeFamilies({ familyId, userId: stranger }, T0 + 1, 'signed_out'), { families: 0, revokedAccessTokens: [] });
        assert.equal((await store.refresh.find(first.hash))?.family.revokedAt, null);
        const ended = await store.refresh.revokeFamilies({ familyId, userId: owner }, T0 + 1, 'signed_out');
        assert.deepEqual(ended, { families: 1, revokedAccessTokens: [{ jti: first.accessJti, expiresAt: first.accessExpiresAt }] });
        assert.equal((await store.refresh.find(first.hash))?.family.revokedReason, 'signed_out');
      });

      it('lists a user’s live families newest first: not revoked, not expired, not another user’s', async () => {
        const userId = await newUser();
        const older = await newFamily(userId);
        const newerId = randomUUID();
        await store.refresh.startFamily(
          { id: newerId, userId, clientId: 'app', scopes: ['me'], createdAt: T0 + 1000, expiresAt: T0 + 1000 + DAY },
          token('newer', T0 + 1000),
        );
        const revoked = await newFamily(userId);
        await store.refresh.revokeFamilies({ familyId: revoked.familyId }, T0 + 2, 'test');
        await newFamily(await newUser());

        const all = { limit: 100, offset: 0 };
        const live = await store.refresh.listLive(userId, T0 + 2000, all);
        assert.equal(live.total, 2);
        assert.deepEqual(
          live.families.map((f) => [f.id, f.clientId, f.scopes, f.createdAt, f.expiresAt]),
          [
            [newerId, 'app', ['me'], T0 + 1000, T0 + 1000 + DAY],
            [older.familyId, 'gatehouse', ['me', 'admin'], T0, T0 + 30 * DAY],
          ],
        );
        const second = await store.refresh.listLive(userId, T0 + 2000, { limit: 1, offset: 1 });
        assert.deepEqual([second.total, second.families.map((f) => f.id)], [2, [older.familyId]]);
        // At its expiry a family is no longer live.
        const later = await store.refresh.listLive(userId, T0 + 1000 + DAY, all);
        assert.deepEqual([later.total, later.families.map((f) => f.id)], [1, [older.familyId]]);
        assert.deepEqual(await store.refresh.listLive(randomUUID(), T0, all), { families: [], total: 0 });
      });

      it('prunes families that ended before a time, with their tokens', async () => {
        const userId = await newUser();
        const ended = await newFamily(userId);
        await store.refresh.revokeFamilies({ familyId: ended.familyId }, T0 + 5, 'test');
        const live = await newFamily(userId);
        assert.ok((await store.refresh.prune(T0 + 6)) >= 1);
        assert.equal(await store.refresh.find(ended.first.hash), undefined);
        assert.ok(await store.refresh.find(live.first.hash));
      });

      it('drops the families of a deleted user', async () => {
        const userId = await newUser();
        const { first } = await newFamily(userId);
        await store.users.delete(userId);
        assert.equal(await store.refresh.find(first.hash), undefined);
      });
    });

    describe('revocations', () => {
      it('records revoked access tokens once and answers what was revoked since a time', async () => {
        const jti = randomUUID();
        const base = T0 + 100 * DAY;
        await store.revocations.add({ jti, expiresAt: base + 60_000 }, base);
        await store.revocations.add({ jti, expiresAt: base + 60_000 }, base + 5);
        const old = randomUUID();
        await store.revocations.add({ jti: old, expiresAt: base + 60_000 }, base - 10_000);
        assert.deepEqual(await store.revocations.since(base, base), [{ jti, expiresAt: base + 60_000 }]);
        assert.deepEqual(
          (await store.revocations.since(base - 10_000, base)).map((t) => t.jti).sort(),
          [jti, old].sort(),
        );
        // Expired tokens no longer matter, and pruning drops them.
        assert.deepEqual(await store.revocations.since(base - 10_000, base + 60_000), []);
        assert.ok((await store.revocations.prune(base + 60_000)) >= 2);
        assert.deepEqual(await store.revocations.since(0, base), []);
      });
    });
  });
}

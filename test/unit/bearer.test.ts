import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BearerError } from '../../src/errors.js';
import type { Principal } from '../../src/services/bearer.js';
import { createTestApp, postForm, type TestApp } from '../helpers/app.js';

/** Resolves a principal whether it came synchronously or as a promise. */
const settle = async (result: Principal | Promise<Principal>): Promise<Principal> => result;

describe('BearerAuthenticator', () => {
  let app: TestApp;
  let token: string;
  let aliceId: string;

  before(async () => {
    app = await createTestApp();
    aliceId = (await app.services.users.create({ username: 'alice', password: 'alice password' })).id;
    const res = await postForm(app, '/token', { username: 'alice', password: 'alice password' });
    assert.equal(res.statusCode, 200, res.body);
    token = (res.json() as { access_token: string }).access_token;
  });
  after(() => app.close());

  it('answers a token seen before, of a user held in memory, without a promise', async () => {
    const first = app.services.bearer.authenticate(`Bearer ${token}`, ['me']);
    assert.ok(first instanceof Promise, 'a token not seen before has its signature checked on the thread pool');
    assert.equal((await first).user?.id, aliceId);
    const second = app.services.bearer.authenticate(`Bearer ${token}`, ['me']);
    assert.ok(second instanceof Promise, 'a token is kept from its second verification on');
    assert.equal((await second).user?.id, aliceId);
    const again = app.services.bearer.authenticate(`Bearer ${token}`, ['me']);
    assert.ok(!(again instanceof Promise), 'verified token and user row both cached');
    assert.equal(again.user?.id, aliceId);
    assert.deepEqual(again.scopes.includes('me'), true);
  });

  it('gives a held principal only when all it takes is in memory, starting nothing otherwise', async () => {
    const res = await postForm(app, '/token', { username: 'alice', password: 'alice password' });
    const fresh = `Bearer ${(res.json() as { access_token: string }).access_token}`;
    const bearer = app.services.bearer;
    assert.equal(bearer.heldPrincipal(fresh, ['me']), undefined, 'not verified yet');
    assert.equal(bearer.heldPrincipal(fresh, ['me']), undefined, 'asking did not verify it');
    await settle(bearer.authenticate(fresh, ['me']));
    assert.equal(bearer.heldPrincipal(fresh, ['me']), undefined, 'verified once: a token is kept from its second verification');
    const verified = await settle(bearer.authenticate(fresh, ['me']));
    assert.deepEqual(bearer.heldPrincipal(fresh, ['me']), verified);
    assert.equal(bearer.heldPrincipal(fresh, ['admin']), undefined, 'a scope it lacks');
    for (const header of [undefined, '', 'Basic Og==', 'Bearer ', 'Bearer not-a-jwt']) assert.equal(bearer.heldPrincipal(header, []), undefined);
    await app.services.users.update(aliceId, { disabled: true });
    await settle(bearer.authenticate(fresh)).catch(() => undefined); // holds the disabled row again
    assert.equal(bearer.heldPrincipal(fresh, ['me']), undefined, 'a disabled user');
    await app.services.users.update(aliceId, { disabled: false });
  });

  it('refuses a missing scope, and a disabled user, at once on the synchronous path too', async () => {
    await settle(app.services.bearer.authenticate(`Bearer ${token}`));
    assert.throws(
      () => app.services.bearer.authenticate(`Bearer ${token}`, ['admin']),
      (e: unknown) => e instanceof BearerError && e.code === 'insufficient_scope',
    );
    await app.services.users.update(aliceId, { disabled: true });
    // The write cleared the user rows held: the lookup goes to the store and refuses.
    await assert.rejects(settle(app.services.bearer.authenticate(`Bearer ${token}`)), (e: unknown) => e instanceof BearerError && e.code === 'invalid_token');
    await app.services.users.update(aliceId, { disabled: false });
    assert.equal((await settle(app.services.bearer.authenticate(`Bearer ${token}`))).user?.id, aliceId);
  });

  it('refuses a token revoked after it and its user were cached', async () => {
    const { claims } = await settle(app.services.bearer.authenticate(`Bearer ${token}`));
    assert.ok(!(app.services.bearer.authenticate(`Bearer ${token}`) instanceof Promise));
    await app.services.revocations.revoke({ jti: claims.jti, expiresAt: claims.exp * 1000 });
    await assert.rejects(settle(app.services.bearer.authenticate(`Bearer ${token}`)), (e: unknown) => e instanceof BearerError && e.code === 'invalid_token');
    // The revocation list refuses it even if a verified-token cache still held it.
    assert.equal(app.services.revocations.isRevoked(claims.jti), true);
  });

  it('throws for a missing or malformed header and a token that does not verify', async () => {
    assert.throws(() => app.services.bearer.authenticate(undefined), (e: unknown) => e instanceof BearerError && e.code === 'missing_token');
    assert.throws(() => app.services.bearer.authenticate('Basic abc'), (e: unknown) => e instanceof BearerError && e.code === 'missing_token');
    assert.throws(() => app.services.bearer.authenticate('Bearer not-a-jwt'), (e: unknown) => e instanceof BearerError && e.code === 'invalid_token');
    const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(86)}`;
    await assert.rejects(settle(app.services.bearer.authenticate(`Bearer ${forged}`)), (e: unknown) => e instanceof BearerError && e.code === 'invalid_token');
  });
});

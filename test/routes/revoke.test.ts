import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, createTestApp, postForm, registerClient, type TestApp } from '../helpers/app.js';

describe('POST /revoke (RFC 7009)', () => {
  let app: TestApp;
  let service: { id: string; secret: string };
  before(async () => {
    app = await createTestApp();
    await app.services.users.create({ username: 'alice', password: 'correct horse' });
    service = await registerClient(app, { scopes: ['reports'] });
  });
  after(() => app.close());

  async function login() {
    const res = await postForm(app, '/token', { username: 'alice', password: 'correct horse' });
    return res.json() as { access_token: string; refresh_token: string };
  }
  const me = (token: string) => app.server.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } });
  const revoke = (fields: Record<string, string>, headers: Record<string, string> = {}) => postForm(app, '/revoke', fields, headers);

  it('revokes an access token by jti: Gatehouse’s routes stop accepting it at once, even from the verified cache', async () => {
    const { access_token: token } = await login();
    for (const _ of [1, 2]) assert.equal((await me(token)).statusCode, 200); // verified twice: now in the verified-token cache
    const res = await revoke({ token, token_type_hint: 'access_token' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '');
    assert.equal(res.headers['cache-control'], 'no-store');
    const after = await me(token);
    assert.equal(after.statusCode, 401);
    assert.equal(after.headers['www-authenticate'], 'Bearer error="invalid_token"');
    assert.deepEqual(after.json(), { detail: 'Could not validate credentials' });
    // The audit event names the user by id, as a refresh token's does, so filtering by user finds it.
    await app.services.audit.flush();
    const alice = await app.services.users.getByUsername('alice');
    const { events } = await app.services.audit.list({ limit: 10, offset: 0, type: 'token.revoked', userId: alice.id });
    const jti = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).jti as string;
    assert.ok(events.some((e) => e.detail?.['jti'] === jti && e.username === 'alice'), JSON.stringify(events));
  });

  it('ends the family when a refresh token is revoked, with the access tokens issued from it', async () => {
    const tokens = await login();
    assert.equal((await revoke({ token: tokens.refresh_token, token_type_hint: 'refresh_token' })).statusCode, 200);
    const refresh = await postForm(app, '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    assert.equal(refresh.json().error, 'invalid_grant');
    assert.equal((await me(tokens.access_token)).statusCode, 401);
    assert.equal((await app.services.refreshTokens.find(tokens.refresh_token))?.family.revokedReason, 'revoked');
  });

  it('ignores a wrong token_type_hint', async () => {
    const tokens = await login();
    assert.equal((await revoke({ token: tokens.access_token, token_type_hint: 'refresh_token' })).statusCode, 200);
    assert.equal((await me(tokens.access_token)).statusCode, 401);
  });

  it('answers 200 for unknown, malformed and already revoked tokens', async () => {
    const tokens = await login();
    await revoke({ token: tokens.refresh_token });
    for (const token of ['C'.repeat(43), 'garbage', 'a.b.c', tokens.refresh_token]) {
      const res = await revoke({ token });
      assert.equal(res.statusCode, 200);
      assert.equal(res.body, '');
    }
  });

  it('lets a client revoke only its own tokens (RFC 7009 §2.1)', async () => {
    const tokens = await login();
    const res = await revoke({ token: tokens.refresh_token }, { authorization: basic(service.id, service.secret) });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_grant');
    const cc = (await postForm(app, '/token', { grant_type: 'client_credentials' }, { authorization: basic(service.id, service.secret) })).json();
    const byOther = await revoke({ token: cc.access_token });
    assert.equal(byOther.statusCode, 400);
    assert.equal(byOther.json().error, 'invalid_grant');
    assert.equal((await revoke({ token: cc.access_token }, { authorization: basic(service.id, service.secret) })).statusCode, 200);
    assert.equal((await postForm(app, '/introspect', { token: cc.access_token }, { authorization: basic(service.id, service.secret) })).json().active, false);
  });

  it('authenticates a confidential client: a wrong secret is 401 invalid_client', async () => {
    const res = await revoke({ token: 'x' }, { authorization: basic(service.id, 'wrong') });
    assert.equal(res.statusCode, 401);
    assert.match(res.headers['www-authenticate'] as string, /^Basic /);
    assert.equal(res.json().error, 'invalid_client');
  });

  it('answers invalid_request without a token', async () => {
    const res = await revoke({});
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_request');
  });

  it('holds a revocation made by another instance once this one has looked at the store', async () => {
    const { access_token: token } = await login();
    assert.equal((await me(token)).statusCode, 200);
    const jti = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).jti as string;
    // Another instance writes the revocation to the shared store.
    await app.store.revocations.add({ jti, expiresAt: app.clock.now() + 900_000 }, app.clock.now());
    await app.services.revocations.refresh();
    assert.equal((await me(token)).statusCode, 401);
  });
});

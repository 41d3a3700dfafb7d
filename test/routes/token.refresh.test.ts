import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, postForm, registerClient, type TestApp } from '../helpers/app.js';

const INVALID = { error: 'invalid_grant', error_description: 'Invalid refresh token', detail: 'Invalid refresh token' };

describe('POST /token, refresh_token grant', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
    await app.services.users.create({ username: 'alice', password: 'correct horse' });
    await app.services.users.create({ username: 'root', password: 'root password', roles: ['admin'] });
  });
  after(() => app.close());

  async function login(username = 'alice', password = 'correct horse', extra: Record<string, string> = {}) {
    const res = await postForm(app, '/token', { grant_type: 'password', username, password, ...extra });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { access_token: string; refresh_token: string; scope: string };
  }
  const refresh = (token: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}) =>
    postForm(app, '/token', { grant_type: 'refresh_token', refresh_token: token, ...extra }, headers);
  const me = (token: string) => app.server.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } });

  it('issues an opaque 256-bit refresh token with the password grant, stored only as a hash', async () => {
    const { refresh_token: token } = await login();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    const found = await app.services.refreshTokens.find(token);
    assert.ok(found);
    assert.notEqual(found.token.hash, token);
    assert.equal(found.family.clientId, 'gatehouse');
    assert.deepEqual(found.family.scopes, ['me']);
  });

  it('rotates: the answer carries a new refresh token and the old one stops working', async () => {
    const first = await login();
    const res = await refresh(first.refresh_token);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.scope, 'me');
    assert.notEqual(body.refresh_token, first.refresh_token);
    assert.equal((await me(body.access_token)).statusCode, 200);
    // The new one works in turn.
    assert.equal((await refresh(body.refresh_token)).statusCode, 200);
  });

  it('ends the whole family when a rotated-out token comes back, revokes its access tokens and records it', async () => {
    const first = await login();
    const second = (await refresh(first.refresh_token)).json();
    assert.equal((await me(second.access_token)).statusCode, 200);

    const replay = await refresh(first.refresh_token);
    assert.equal(replay.statusCode, 400);
    assert.deepEqual(replay.json(), INVALID);
    // The legitimate holder's newer token is dead too, and so is the access token issued with it.
    assert.deepEqual((await refresh(second.refresh_token)).json(), INVALID);
    const res = await me(second.access_token);
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token"');

    const found = await app.services.refreshTokens.find(first.refresh_token);
    assert.equal(found?.family.revokedReason, 'reuse');
    await app.services.audit.flush();
    const { events } = await app.store.audit.list({ limit: 10, offset: 0, type: 'refresh.reuse_detected' });
    assert.ok(events.some((e) => (e.detail as { family?: string } | null)?.family === found?.family.id));
  });

  it('records each rotation in the audit trail, with its family, client and address, before it answers', async () => {
    const first = await login();
    const family = (await app.services.refreshTokens.find(first.refresh_token))?.family;
    assert.ok(family);
    assert.equal((await refresh(first.refresh_token)).statusCode, 200);
    const { events } = await app.store.audit.list({ limit: 1000, offset: 0, type: 'refresh.rotated' });
    const rotations = events.filter((e) => (e.detail as { family?: string } | null)?.family === family.id);
    assert.deepEqual(
      rotations.map((e) => [e.userId, e.clientId, e.ip]),
      [[family.userId, 'gatehouse', '127.0.0.1']],
    );
  });

  it('lets exactly one of two concurrent refreshes of the same token succeed', async () => {
    const { refresh_token: token } = await login();
    const results = await Promise.all([refresh(token), refresh(token), refresh(token)]);
    const ok = results.filter((r) => r.statusCode === 200);
    const refused = results.filter((r) => r.statusCode === 400);
    assert.equal(ok.length, 1);
    assert.equal(refused.length, 2);
    for (const r of refused) assert.deepEqual(r.json(), INVALID);
    // The losers presented a rotated-out token: strict reuse detection ends the family.
    assert.deepEqual((await refresh(ok[0]?.json().refresh_token as string)).json(), INVALID);
  });

  it('may narrow the scope on refresh, never widen it; a refused scope does not burn the token', async () => {
    const admin = await login('root', 'root password');
    assert.equal(admin.scope, 'admin me');
    const wider = await refresh(admin.refresh_token, { scope: 'me admin superuser' });
    assert.equal(wider.statusCode, 400);
    assert.equal(wider.json().error, 'invalid_scope');
    const narrow = await refresh(admin.refresh_token, { scope: 'me' });
    assert.equal(narrow.statusCode, 200);
    assert.equal(narrow.json().scope, 'me');
    // Omitting scope means the scope originally granted (RFC 6749 §6), not the narrowed one.
    const again = await refresh(narrow.json().refresh_token);
    assert.equal(again.json().scope, 'admin me');

    const user = await login('alice', 'correct horse');
    const beyond = await refresh(user.refresh_token, { scope: 'admin' });
    assert.equal(beyond.json().error, 'invalid_scope');
  });

  it('drops scopes the user’s roles no longer allow', async () => {
    const demoted = await app.services.users.create({ username: 'demoted', password: 'demoted password', roles: ['admin'] });
    const tokens = await login('demoted', 'demoted password');
    assert.equal(tokens.scope, 'admin me');
    await app.services.users.update(demoted.id, { roles: ['user'] });
    assert.equal((await refresh(tokens.refresh_token)).json().scope, 'me');
  });

  it('ends a family at its absolute lifetime, however often it rotated', async () => {
    let { refresh_token: token } = await login();
    const day = 86_400_000;
    try {
      for (let i = 0; i < 3; i++) {
        app.clock.advance(9 * day);
        const res = await refresh(token);
        assert.equal(res.statusCode, 200);
        token = res.json().refresh_token;
      }
      app.clock.advance(3 * day); // 30 days after the login
      assert.deepEqual((await refresh(token)).json(), INVALID);
    } finally {
      app.clock.advance(-30 * day);
    }
  });

  it('answers invalid_grant for a token issued to another client, without burning it', async () => {
    const spa = await registerClient(app, { public: true, name: 'spa' });
    const tokens = await login('alice', 'correct horse', { client_id: spa.id });
    const other = await refresh(tokens.refresh_token);
    assert.equal(other.statusCode, 400);
    assert.deepEqual(other.json(), INVALID);
    const own = await refresh(tokens.refresh_token, { client_id: spa.id });
    assert.equal(own.statusCode, 200);
  });

  it('answers invalid_grant for an unknown, malformed or missing-user token', async () => {
    for (const bad of ['A'.repeat(43), 'not a token', 'x']) assert.deepEqual((await refresh(bad)).json(), INVALID);
    const temp = await app.services.users.create({ username: 'temp', password: 'temp password' });
    const tokens = await login('temp', 'temp password');
    await app.services.users.update(temp.id, { disabled: true });
    assert.deepEqual((await refresh(tokens.refresh_token)).json(), INVALID);
  });

  it('answers invalid_request without a refresh_token', async () => {
    const res = await postForm(app, '/token', { grant_type: 'refresh_token' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_request');
  });

  it('ends every family of a user whose password is changed', async () => {
    const bob = await app.services.users.create({ username: 'bob', password: 'bob password one' });
    const a = await login('bob', 'bob password one');
    const b = await login('bob', 'bob password one');
    await app.services.users.setPassword(bob.id, 'bob password two');
    assert.deepEqual((await refresh(a.refresh_token)).json(), INVALID);
    assert.deepEqual((await refresh(b.refresh_token)).json(), INVALID);
    assert.equal((await me(a.access_token)).statusCode, 401);
    assert.equal((await app.services.refreshTokens.find(a.refresh_token))?.family.revokedReason, 'password_changed');
  });
});

describe('POST /token with GATEHOUSE_REFRESH_TOKENS=off', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ GATEHOUSE_REFRESH_TOKENS: 'off' });
    await app.services.users.create({ username: 'alice', password: 'correct horse' });
  });
  after(() => app.close());

  it('issues no refresh token and does not support the refresh_token grant', async () => {
    const res = await postForm(app, '/token', { username: 'alice', password: 'correct horse' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().refresh_token, undefined);
    const refresh = await postForm(app, '/token', { grant_type: 'refresh_token', refresh_token: 'A'.repeat(43) });
    assert.equal(refresh.statusCode, 400);
    assert.equal(refresh.json().error, 'unsupported_grant_type');
    const meta = (await app.server.inject('/.well-known/oauth-authorization-server')).json();
    assert.deepEqual(meta.grant_types_supported, ['password', 'client_credentials']);
  });
});

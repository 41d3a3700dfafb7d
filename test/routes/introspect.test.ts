import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, createTestApp, postForm, registerClient, type TestApp } from '../helpers/app.js';

describe('POST /introspect (RFC 7662)', () => {
  let app: TestApp;
  let api: { id: string; secret: string };
  let auth: Record<string, string>;
  before(async () => {
    app = await createTestApp();
    await app.services.users.create({ username: 'alice', password: 'correct horse' });
    api = await registerClient(app, { name: 'resource server', scopes: ['reports'] });
    auth = { authorization: basic(api.id, api.secret) };
  });
  after(() => app.close());

  async function login() {
    return (await postForm(app, '/token', { username: 'alice', password: 'correct horse' })).json() as { access_token: string; refresh_token: string };
  }
  const introspect = (token: string, headers = auth) => postForm(app, '/introspect', { token }, headers);

  it('describes a live access token', async () => {
    const { access_token: token } = await login();
    const res = await introspect(token);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.headers['content-type'] as string, /^application\/json/);
    const body = res.json();
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
    const user = await app.services.users.getByUsername('alice');
    assert.deepEqual(body, {
      active: true,
      scope: 'me',
      client_id: 'gatehouse',
      username: 'alice',
      token_type: 'bearer',
      exp: claims.exp,
      iat: claims.iat,
      sub: user.id,
      aud: app.config.issuer,
      iss: app.config.issuer,
      jti: claims.jti,
    });
  });

  it('describes a client_credentials token without a username', async () => {
    const cc = (await postForm(app, '/token', { grant_type: 'client_credentials' }, auth)).json();
    const body = (await introspect(cc.access_token)).json();
    assert.equal(body.active, true);
    assert.equal(body.sub, api.id);
    assert.equal(body.client_id, api.id);
    assert.equal(body.scope, 'reports');
    assert.equal(body.username, undefined);
  });

  it('describes a live refresh token, and not a rotated-out one', async () => {
    const { refresh_token: token } = await login();
    const body = (await introspect(token)).json();
    assert.equal(body.active, true);
    assert.equal(body.token_type, 'refresh_token');
    assert.equal(body.client_id, 'gatehouse');
    assert.equal(body.username, 'alice');
    assert.equal(body.scope, 'me');
    assert.equal(body.iss, app.config.issuer);
    assert.equal(body.exp, Math.floor(app.clock.now() / 1000) + 30 * 86_400);
    await postForm(app, '/token', { grant_type: 'refresh_token', refresh_token: token });
    assert.deepEqual((await introspect(token)).json(), { active: false });
  });

  it('answers {active:false} for revoked, expired, foreign and malformed tokens', async () => {
    const revoked = await login();
    await postForm(app, '/revoke', { token: revoked.access_token });
    const expired = await login();
    const forged = `${expired.access_token.slice(0, -4)}AAAA`;
    const inactive = [revoked.access_token, forged, 'garbage', 'D'.repeat(43), 'a.b.c'];
    for (const token of inactive) assert.deepEqual((await introspect(token)).json(), { active: false });
    app.clock.advance(901_000);
    try {
      assert.deepEqual((await introspect(expired.access_token)).json(), { active: false });
    } finally {
      app.clock.advance(-901_000);
    }
  });

  it('is for authenticated confidential clients only', async () => {
    const { access_token: token } = await login();
    const spa = await registerClient(app, { public: true });
    const attempts = [
      await postForm(app, '/introspect', { token }, {}),
      await postForm(app, '/introspect', { token, client_id: spa.id }, {}),
      await postForm(app, '/introspect', { token }, { authorization: basic(api.id, 'wrong') }),
    ];
    for (const res of attempts) {
      assert.equal(res.statusCode, 401);
      assert.match(res.headers['www-authenticate'] as string, /^Basic /);
      assert.equal(res.json().error, 'invalid_client');
    }
    const post = await postForm(app, '/introspect', { token, client_id: api.id, client_secret: api.secret }, {});
    assert.equal(post.json().active, true);
  });

  it('answers invalid_request without a token', async () => {
    const res = await postForm(app, '/introspect', {}, auth);
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_request');
  });

  it('fails closed with 503 when revocations cannot be read', async () => {
    const { access_token: token } = await login();
    const original = app.store.revocations.since.bind(app.store.revocations);
    app.store.revocations.since = () => Promise.reject(new Error('store down'));
    app.clock.advance(app.services.revocations.maxAgeMs + 1);
    try {
      const res = await introspect(token);
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['retry-after'], '1');
      assert.equal(res.json().error, 'temporarily_unavailable');
      const me = await app.server.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } });
      assert.equal(me.statusCode, 503);
    } finally {
      app.store.revocations.since = original;
    }
    app.clock.advance(2_000);
    assert.equal((await introspect(token)).json().active, true);
    app.clock.advance(-(app.services.revocations.maxAgeMs + 2_001));
  });
});

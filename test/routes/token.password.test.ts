import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, createTestApp, form, registerClient, type TestApp } from '../helpers/app.js';

function decode(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h as string, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p as string, 'base64url').toString()) as Record<string, unknown>,
  };
}

describe('POST /token, password grant', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
    await app.services.users.create({ username: 'JohnDoe', password: 'correct horse', email: 'john@example.com' });
    await app.services.users.create({ username: 'root', password: 'root password', roles: ['admin'] });
    await app.services.users.create({ username: 'sleeper', password: 'sleeper password', disabled: true });
  });
  after(() => app.close());

  const post = (fields: Record<string, string>, headers: Record<string, string> = {}) => {
    const f = form(fields);
    return app.server.inject({ method: 'POST', url: '/token', payload: f.payload, headers: { ...f.headers, ...headers } });
  };

  it('issues a signed at+jwt access token, not cached', async () => {
    const res = await post({ grant_type: 'password', username: 'johndoe', password: 'correct horse' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json();
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 900);
    assert.equal(body.scope, 'me');
    const { header, payload } = decode(body.access_token);
    assert.equal(header['alg'], 'ES256');
    assert.equal(header['typ'], 'at+jwt');
    assert.equal(header['kid'], app.keys.signingKey().kid);
    assert.equal(payload['iss'], app.config.issuer);
    assert.equal(payload['aud'], app.config.issuer);
    assert.equal(payload['preferred_username'], 'JohnDoe');
    assert.equal(payload['client_id'], 'gatehouse');
    assert.equal((payload['exp'] as number) - (payload['iat'] as number), 900);
    assert.match(payload['jti'] as string, /^[0-9a-f-]{36}$/);
    const user = await app.services.users.getByUsername('johndoe');
    assert.equal(payload['sub'], user.id);
  });

  it('treats an absent grant_type as password, like FastAPI’s form', async () => {
    const res = await post({ username: 'JOHNDOE', password: 'correct horse' });
    assert.equal(res.statusCode, 200);
  });

  it('answers invalid_grant for a wrong password, the same as for an unknown user and a disabled one', async () => {
    const wrong = await post({ username: 'johndoe', password: 'wrong password' });
    const unknown = await post({ username: 'nobody', password: 'wrong password' });
    const disabled = await post({ username: 'sleeper', password: 'sleeper password' });
    for (const res of [wrong, unknown, disabled]) {
      assert.equal(res.statusCode, 400);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.deepEqual(res.json(), {
        error: 'invalid_grant',
        error_description: 'Incorrect username or password',
        detail: 'Incorrect username or password',
      });
    }
  });

  it('accepts the empty Basic credentials Swagger UI sends', async () => {
    const res = await post({ grant_type: 'password', username: 'johndoe', password: 'correct horse' }, { authorization: 'Basic Og==' });
    assert.equal(res.statusCode, 200);
  });

  it('takes `id:` Basic credentials (an empty secret) as naming a public client, as Swagger UI sends them', async () => {
    const web = await registerClient(app, { name: 'web app', public: true });
    const login = { grant_type: 'password', username: 'johndoe', password: 'correct horse' };
    for (const id of [web.id, 'gatehouse']) {
      const res = await post(login, { authorization: basic(id, '') });
      assert.equal(res.statusCode, 200, `${id}: ${res.body}`);
    }
    const confidential = await registerClient(app, { name: 'backend' });
    assert.equal((await post(login, { authorization: basic(confidential.id, '') })).statusCode, 401, 'a confidential client must send its secret');
    assert.equal((await post(login, { authorization: basic('', 'a secret without an id') })).statusCode, 401);
  });

  it('intersects the requested scope with what the roles allow', async () => {
    const admin = await post({ username: 'root', password: 'root password', scope: 'admin' });
    assert.equal(admin.json().scope, 'admin');
    const both = await post({ username: 'root', password: 'root password' });
    assert.equal(both.json().scope, 'admin me');
    const some = await post({ username: 'johndoe', password: 'correct horse', scope: 'me admin' });
    assert.equal(some.json().scope, 'me');
    const none = await post({ username: 'johndoe', password: 'correct horse', scope: 'admin' });
    assert.equal(none.statusCode, 400);
    assert.equal(none.json().error, 'invalid_scope');
    const bad = await post({ username: 'johndoe', password: 'correct horse', scope: 'me "quoted"' });
    assert.equal(bad.json().error, 'invalid_scope');
  });

  it('answers invalid_request when username or password is missing', async () => {
    const res = await post({ grant_type: 'password', username: 'johndoe' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_request');
    assert.match(res.json().detail, /username and password/);
    const empty = await app.server.inject({ method: 'POST', url: '/token' });
    assert.equal(empty.statusCode, 400);
    assert.equal(empty.json().error, 'invalid_request');
  });

  it('answers unsupported_grant_type for an unknown grant', async () => {
    const res = await post({ grant_type: 'urn:example:magic', username: 'a', password: 'b' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'unsupported_grant_type');
  });

  it('refuses a repeated parameter (RFC 6749 §3.2)', async () => {
    const res = await app.server.inject({
      method: 'POST',
      url: '/token',
      payload: 'username=johndoe&password=correct+horse&password=other',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json().error, 'invalid_request');
    assert.match(res.json().detail, /"password" is repeated/);
  });

  it('accepts only form bodies', async () => {
    const json = await app.server.inject({
      method: 'POST',
      url: '/token',
      payload: JSON.stringify({ username: 'johndoe', password: 'correct horse' }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(json.statusCode, 415);
    assert.equal(json.json().error, 'invalid_request');
    const text = await app.server.inject({ method: 'POST', url: '/token', payload: 'hello', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.statusCode, 415);
    assert.equal(text.json().error, 'invalid_request');
  });

  it('answers 413 for a body over 64 KiB and 400 for an over-long field', async () => {
    const big = await post({ username: 'johndoe', password: 'x'.repeat(70_000) });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().error, 'invalid_request');
    const long = await post({ username: 'u'.repeat(300), password: 'whatever' });
    assert.equal(long.statusCode, 400);
    assert.equal(long.json().error, 'invalid_request');
    assert.match(long.json().detail, /username/);
  });

  it('refuses passwords over 1024 characters without hashing them', async () => {
    const res = await post({ username: 'johndoe', password: 'p'.repeat(1025) });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_grant');
  });

  it('never answers 500 to malformed form encoding', async () => {
    const res = await app.server.inject({
      method: 'POST',
      url: '/token',
      payload: 'username=%E0%A4%A&password=%%%',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.statusCode, 400);
    assert.ok(res.json().error);
  });
});

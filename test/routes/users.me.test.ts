import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MemoryLimiterStore } from '../../src/limits/memory.js';
import { createTestApp, form, type TestApp } from '../helpers/app.js';

describe('GET /users/me', () => {
  let app: TestApp;
  let token: string;
  before(async () => {
    app = await createTestApp();
    await app.services.users.create({ username: 'johndoe', password: 'correct horse', email: 'john@example.com', fullName: 'John Doe' });
    token = await loginAs('johndoe', 'correct horse');
  });
  after(() => app.close());

  async function loginAs(username: string, password: string): Promise<string> {
    const f = form({ username, password });
    const res = await app.server.inject({ method: 'POST', url: '/token', ...f });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().access_token as string;
  }
  const me = (authorization?: string, url = '/users/me') =>
    app.server.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });

  it('returns the profile of the token’s user, at /users/me and /users/me/', async () => {
    for (const url of ['/users/me', '/users/me/']) {
      const res = await me(`Bearer ${token}`, url);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      const body = res.json();
      assert.deepEqual(Object.keys(body).sort(), ['disabled', 'email', 'full_name', 'id', 'roles', 'username']);
      assert.equal(body.username, 'johndoe');
      assert.equal(body.email, 'john@example.com');
      assert.equal(body.full_name, 'John Doe');
      assert.equal(body.disabled, false);
      assert.deepEqual(body.roles, ['user']);
    }
  });

  it('answers 401 Not authenticated with a bare Bearer challenge when no token is sent', async () => {
    for (const authorization of [undefined, 'Basic Og==', 'Bearer ']) {
      const res = await me(authorization);
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
      assert.deepEqual(res.json(), { detail: 'Not authenticated' });
    }
  });

  it('ignores a token in the query string (RFC 6750 §2.1: header only)', async () => {
    const res = await app.server.inject({ method: 'GET', url: `/users/me?access_token=${token}` });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), { detail: 'Not authenticated' });
  });

  it('answers 401 invalid_token for a bad token', async () => {
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url')}.${s}`;
    const none = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${p}.`;
    for (const bad of ['garbage', tampered, none, `${h}.${p}.${s.slice(0, -4)}AAAA`]) {
      const res = await me(`Bearer ${bad}`);
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token"');
      assert.deepEqual(res.json(), { detail: 'Could not validate credentials' });
    }
  });

  it('refuses an HS256 token signed with the public key (algorithm confusion)', async () => {
    const jwk = app.keys.jwks().keys[0];
    assert.ok(jwk);
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid })).toString('base64url');
    const [, p] = token.split('.') as [string, string];
    const sig = createHmac('sha256', JSON.stringify(jwk)).update(`${header}.${p}`).digest('base64url');
    const res = await me(`Bearer ${header}.${p}.${sig}`);
    assert.equal(res.statusCode, 401);
  });

  it('refuses a token signed by another key under the same kid', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const [h, p] = token.split('.') as [string, string];
    const sig = sign('sha256', Buffer.from(`${h}.${p}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const res = await me(`Bearer ${h}.${p}.${sig}`);
    assert.equal(res.statusCode, 401);
  });

  it('stops accepting a token once it has expired', async () => {
    const fresh = await loginAs('johndoe', 'correct horse');
    assert.equal((await me(`Bearer ${fresh}`)).statusCode, 200);
    app.clock.advance(901_000);
    try {
      const res = await me(`Bearer ${fresh}`);
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token"');
    } finally {
      app.clock.advance(-901_000);
    }
  });

  it('stops accepting tokens of a user at once when the user is disabled or deleted', async () => {
    const user = await app.services.users.create({ username: 'temp', password: 'temp password' });
    const t = await loginAs('temp', 'temp password');
    assert.equal((await me(`Bearer ${t}`)).statusCode, 200);
    await app.services.users.update(user.id, { disabled: true });
    assert.equal((await me(`Bearer ${t}`)).statusCode, 401);
    await app.services.users.update(user.id, { disabled: false });
    assert.equal((await me(`Bearer ${t}`)).statusCode, 200);
    await app.services.users.delete(user.id);
    const res = await me(`Bearer ${t}`);
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), { detail: 'Could not validate credentials' });
  });

  it('refuses an oversized token before any crypto', async () => {
    const res = await me(`Bearer ${'a'.repeat(9000)}.b.c`);
    assert.equal(res.statusCode, 401);
  });
});

describe('health and docs', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
  });
  after(() => app.close());

  it('answers /healthz and /readyz', async () => {
    assert.equal((await app.server.inject('/healthz')).statusCode, 200);
    assert.equal((await app.server.inject('/readyz')).statusCode, 200);
  });

  it('is not ready while the login counters cannot be reached (logins would answer 503)', async () => {
    class Unreachable extends MemoryLimiterStore {
      ping(): Promise<void> {
        return Promise.reject(new Error('connection refused'));
      }
    }
    const cut = await createTestApp({}, { limiterStore: new Unreachable() });
    try {
      const res = await cut.server.inject('/readyz');
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().error, 'temporarily_unavailable');
      assert.equal((await cut.server.inject('/healthz')).statusCode, 200, 'alive all the same');
    } finally {
      await cut.close();
    }
  });

  it('publishes an OpenAPI 3 document with an OAuth2 password flow on /token', async () => {
    const res = await app.server.inject('/openapi.json');
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.match(doc.openapi, /^3\./);
    assert.equal(doc.components.securitySchemes.OAuth2PasswordBearer.type, 'oauth2');
    assert.equal(doc.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl, '/token');
    assert.ok(doc.paths['/token'].post.requestBody.content['application/x-www-form-urlencoded']);
    assert.deepEqual(doc.paths['/users/me'].get.security, [{ OAuth2PasswordBearer: ['me'] }]);
  });

  it('names the server and the token URL by the issuer’s path only, so /docs calls the origin it was loaded from', async () => {
    const cases = [
      { issuer: 'http://127.0.0.1:8000', server: '/', tokenUrl: '/token' },
      { issuer: 'https://example.com/auth', server: '/auth', tokenUrl: '/auth/token' },
    ];
    for (const { issuer, server, tokenUrl } of cases) {
      const other = await createTestApp({ GATEHOUSE_ISSUER: issuer });
      try {
        const doc = (await other.server.inject('/openapi.json')).json();
        assert.deepEqual(doc.servers, [{ url: server }], issuer);
        assert.equal(doc.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl, tokenUrl, issuer);
        assert.equal(doc.components.securitySchemes.OAuth2PasswordBearer.flows.password.refreshUrl, undefined, issuer);
      } finally {
        await other.close();
      }
    }
  });

  it('serves Swagger UI at /docs from the package', async () => {
    const res = await app.server.inject('/docs/');
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /swagger-ui/i);
    const asset = await app.server.inject('/docs/static/swagger-ui-bundle.js');
    assert.equal(asset.statusCode, 200);
    const redirect = await app.server.inject('/docs/static/index.html');
    assert.equal(redirect.statusCode, 302);
    assert.equal(redirect.headers.location, '/docs/');
  });

  it('links the assets of /docs under the issuer’s path, for a proxy that serves the server under a prefix', async () => {
    const other = await createTestApp({ GATEHOUSE_ISSUER: 'https://example.com/auth' });
    try {
      const res = await other.server.inject('/docs');
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /src="\/auth\/docs\/static\/swagger-ui-bundle\.js"/);
      const redirect = await other.server.inject('/docs/static/index.html');
      assert.equal(redirect.statusCode, 302);
      assert.equal(redirect.headers.location, '/auth/docs/');
    } finally {
      await other.close();
    }
  });

  it('answers 404 with a JSON body for an unknown path', async () => {
    const res = await app.server.inject('/nope');
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { error: 'not_found', detail: 'Not Found' });
  });

  it('answers a path the router refuses (a parameter longer than any id, bad percent-encoding) like any other error', async () => {
    const long = await app.server.inject(`/admin/users/${'x'.repeat(300)}`);
    assert.equal(long.statusCode, 404);
    assert.deepEqual(long.json(), { error: 'not_found', detail: 'Not Found' });
    const bad = await app.server.inject('/admin/users/%E0%A4%A');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error, 'invalid_request');
    for (const res of [long, bad]) {
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['x-content-type-options'], 'nosniff', 'the security headers too');
      assert.ok(!res.body.includes('FST_'), res.body);
    }
  });
});

describe('GET /users/me when tokens name the user by username (GATEHOUSE_SUBJECT=username)', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ GATEHOUSE_SUBJECT: 'username', GATEHOUSE_JWT_ALG: 'HS256', GATEHOUSE_JWT_SECRET: 'x'.repeat(40) });
  });
  after(() => app.close());

  it('does not hand a deleted user’s token to a new account that takes the same name', async () => {
    const first = await app.services.users.create({ username: 'eve', password: 'first eve password' });
    const login = await app.server.inject({ method: 'POST', url: '/token', ...form({ username: 'eve', password: 'first eve password' }) });
    const token = login.json().access_token as string;
    const me = () => app.server.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } });
    assert.equal((await me()).statusCode, 200);
    await app.services.users.delete(first.id);
    assert.equal((await me()).statusCode, 401);
    app.clock.advance(5_000);
    const second = await app.services.users.create({ username: 'EVE', password: 'second eve password' });
    assert.notEqual(second.id, first.id);
    assert.equal((await me()).statusCode, 401, 'issued before this account existed');
    const own = await app.server.inject({ method: 'POST', url: '/token', ...form({ username: 'eve', password: 'second eve password' }) });
    const mine = await app.server.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${own.json().access_token}` } });
    assert.equal(mine.statusCode, 200, 'the new account’s own tokens work');
    assert.equal(mine.json().id, second.id);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, createTestApp, postForm, type TestApp } from '../helpers/app.js';

describe('/admin/clients', () => {
  let app: TestApp;
  let admin: string;
  let user: string;
  before(async () => {
    app = await createTestApp();
    await app.services.users.create({ username: 'root', password: 'root password', roles: ['admin'] });
    await app.services.users.create({ username: 'alice', password: 'correct horse' });
    admin = (await postForm(app, '/token', { username: 'root', password: 'root password' })).json().access_token;
    user = (await postForm(app, '/token', { username: 'alice', password: 'correct horse' })).json().access_token;
  });
  after(() => app.close());

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: unknown) =>
    app.server.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });

  it('creates a confidential client, showing its secret once, and it can use client_credentials', async () => {
    const res = await call('POST', '/admin/clients', admin, { name: 'billing', scopes: ['invoices:read'] });
    assert.equal(res.statusCode, 201);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['client_id', 'client_secret', 'created_at', 'name', 'public', 'scopes']);
    assert.equal(res.headers['location'], `/admin/clients/${body.client_id}`);
    assert.equal(body.public, false);
    assert.deepEqual(body.scopes, ['invoices:read']);
    assert.match(body.client_secret, /^[A-Za-z0-9_-]{43}$/);

    const read = await call('GET', `/admin/clients/${body.client_id}`, admin);
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json(), { client_id: body.client_id, name: 'billing', public: false, scopes: ['invoices:read'], created_at: body.created_at });
    assert.ok(!read.body.includes(body.client_secret));

    const token = await postForm(app, '/token', { grant_type: 'client_credentials' }, { authorization: basic(body.client_id, body.client_secret) });
    assert.equal(token.statusCode, 200);
    assert.equal(token.json().scope, 'invoices:read');
  });

  it('creates a public client without a secret, and lists clients', async () => {
    const res = await call('POST', '/admin/clients', admin, { name: 'web app', public: true });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().client_secret, undefined);
    const list = await call('GET', '/admin/clients?limit=100', admin);
    assert.equal(list.statusCode, 200);
    const { clients, total } = list.json();
    assert.equal(total, clients.length);
    assert.ok(clients.some((c: { client_id: string; public: boolean }) => c.client_id === res.json().client_id && c.public));
    const page = (await call('GET', '/admin/clients?limit=1&offset=1', admin)).json();
    assert.equal(page.clients.length, 1);
    assert.equal(page.clients[0].client_id, clients[1].client_id);
    const bad = await call('GET', '/admin/clients?limit=0', admin);
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error, 'invalid_request');
  });

  it('deletes a client: its logins end and its credentials stop working', async () => {
    const created = (await call('POST', '/admin/clients', admin, { name: 'temp' })).json();
    const auth = { authorization: basic(created.client_id, created.client_secret) };
    const login = (await postForm(app, '/token', { username: 'alice', password: 'correct horse' }, auth)).json();
    const del = await call('DELETE', `/admin/clients/${created.client_id}`, admin);
    assert.equal(del.statusCode, 204);
    assert.equal(del.body, '');
    assert.equal((await call('GET', `/admin/clients/${created.client_id}`, admin)).statusCode, 404);
    assert.equal((await call('DELETE', `/admin/clients/${created.client_id}`, admin)).statusCode, 404);
    assert.equal((await postForm(app, '/token', { grant_type: 'client_credentials' }, auth)).statusCode, 401);
    const me = await app.server.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${login.access_token}` } });
    assert.equal(me.statusCode, 401);
  });

  it('deletes a client: the tokens it holds itself (client_credentials) stop at once, admin scope or not', async () => {
    const created = (await call('POST', '/admin/clients', admin, { name: 'ops robot', scopes: ['admin'] })).json();
    const auth = { authorization: basic(created.client_id, created.client_secret) };
    const own = (await postForm(app, '/token', { grant_type: 'client_credentials' }, auth)).json().access_token as string;
    assert.equal((await call('GET', '/admin/users', own)).statusCode, 200);
    assert.equal((await call('DELETE', `/admin/clients/${created.client_id}`, admin)).statusCode, 204);
    assert.equal((await call('GET', '/admin/users', own)).statusCode, 401);
    assert.equal((await call('POST', '/admin/clients', own, { name: 'ghost' })).statusCode, 401);
    const api = (await call('POST', '/admin/clients', admin, { name: 'resource server' })).json();
    const introspected = await postForm(app, '/introspect', { token: own }, { authorization: basic(api.client_id, api.client_secret) });
    assert.deepEqual(introspected.json(), { active: false });
  });

  it('validates the body', async () => {
    const missing = await call('POST', '/admin/clients', admin, { public: true });
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error, 'invalid_request');
    for (const scope of ['a"b', 'bad scope', 'tab\tscope']) {
      const badScope = await call('POST', '/admin/clients', admin, { name: 'x', scopes: [scope] });
      assert.equal(badScope.statusCode, 400, scope);
      assert.equal(badScope.json().error, 'policy_violation');
    }
  });

  it('needs the admin scope: 403 insufficient_scope with the challenge, 401 without a token', async () => {
    for (const [method, url] of [
      ['GET', '/admin/clients'],
      ['POST', '/admin/clients'],
      ['GET', '/admin/clients/x'],
      ['DELETE', '/admin/clients/x'],
    ] as const) {
      const res = await call(method, url, user, method === 'POST' ? { name: 'x' } : undefined);
      assert.equal(res.statusCode, 403);
      assert.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="admin"');
      assert.deepEqual(res.json(), { detail: 'Not enough permissions' });
    }
    const anonymous = await app.server.inject({ method: 'GET', url: '/admin/clients' });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
    // An admin token narrowed to `me` is not enough either.
    const narrowed = (await postForm(app, '/token', { username: 'root', password: 'root password', scope: 'me' })).json().access_token;
    assert.equal((await call('GET', '/admin/clients', narrowed)).statusCode, 403);
  });

  it('answers /users/me with 403 insufficient_scope for a token without `me`', async () => {
    const adminOnly = (await postForm(app, '/token', { username: 'root', password: 'root password', scope: 'admin' })).json().access_token;
    const res = await app.server.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${adminOnly}` } });
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="me"');
  });

  it('appears in /openapi.json with the admin scope', async () => {
    const doc = (await app.server.inject('/openapi.json')).json();
    assert.deepEqual(doc.paths['/admin/clients'].get.security, [{ OAuth2PasswordBearer: ['admin'] }]);
    assert.ok(doc.paths['/admin/clients'].post);
    assert.ok(doc.paths['/admin/clients/{client_id}'].delete);
    assert.ok(doc.paths['/revoke'].post);
    assert.ok(doc.paths['/introspect'].post);
    assert.ok(doc.paths['/.well-known/oauth-authorization-server'].get);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../src/store/store.js';
import { basic, createTestApp, postForm, registerClient, type TestApp } from '../helpers/app.js';

describe('/admin/users', () => {
  let app: TestApp;
  let rootId: string;
  let admin: string;
  let user: string;
  const rootActor = () => ({ user_id: rootId, username: 'root', client_id: 'gatehouse' });

  before(async () => {
    app = await createTestApp();
    rootId = (await app.services.users.create({ username: 'root', password: 'root password', roles: ['admin'] })).id;
    await app.services.users.create({ username: 'alice', password: 'correct horse', email: 'alice@example.com' });
    admin = (await login('root', 'root password')).access_token;
    user = (await login('alice', 'correct horse')).access_token;
  });
  after(() => app.close());

  async function login(username: string, password: string): Promise<{ access_token: string; refresh_token: string }> {
    const res = await postForm(app, '/token', { username, password });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }
  /** `token` null sends no Authorization header. */
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token: string | null = admin, payload?: unknown) =>
    app.server.inject({
      method,
      url,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  async function create(username: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await call('POST', '/admin/users', admin, { username, password: `${username} password`, ...extra });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  }
  async function lastEvent(type: string, userId: string): Promise<AuditEvent | undefined> {
    await app.services.audit.flush();
    return (await app.services.audit.list({ limit: 1, offset: 0, type, userId })).events[0];
  }

  describe('POST /admin/users', () => {
    it('creates a user with every field, answers 201 with the profile and its location, and records the admin', async () => {
      const res = await call('POST', '/admin/users', admin, {
        username: 'Bob',
        password: 'bob password',
        email: 'bob@example.com',
        full_name: 'Bob Builder',
        roles: ['user', 'auditor'],
        disabled: false,
      });
      assert.equal(res.statusCode, 201);
      assert.equal(res.headers['cache-control'], 'no-store');
      const body = res.json();
      assert.equal(res.headers['location'], `/admin/users/${body.id}`);
      assert.deepEqual(body, { id: body.id, username: 'Bob', email: 'bob@example.com', full_name: 'Bob Builder', disabled: false, roles: ['auditor', 'user'] });
      assert.equal((await postForm(app, '/token', { username: 'bob', password: 'bob password' })).statusCode, 200);
      const event = await lastEvent('user.created', body.id);
      assert.deepEqual([event?.username, event?.ip, event?.detail], ['Bob', '127.0.0.1', { actor: rootActor() }]);
    });

    it('defaults to the role user, enabled; a disabled user cannot log in', async () => {
      const plain = (await call('GET', `/admin/users/${await create('carol')}`)).json();
      assert.deepEqual([plain.roles, plain.disabled, plain.email, plain.full_name], [['user'], false, null, null]);
      await create('dave', { disabled: true });
      assert.equal((await postForm(app, '/token', { username: 'dave', password: 'dave password' })).statusCode, 400);
    });

    it('answers 409 for a taken name in any spelling', async () => {
      for (const username of ['alice', 'ALICE']) {
        const res = await call('POST', '/admin/users', admin, { username, password: 'long enough' });
        assert.equal(res.statusCode, 409);
        assert.deepEqual(res.json(), { error: 'conflict', detail: `A user named "${username}" already exists` });
      }
    });

    it('validates the body and the rules', async () => {
      const cases: Array<[unknown, string, string]> = [
        [{ username: 'erin' }, 'invalid_request', 'body.password is required'],
        [{ username: 'erin', password: 'long enough', admin: true }, 'invalid_request', 'body.admin is not accepted here'],
        [{ username: 'erin', password: 'long enough', roles: ['a b'] }, 'policy_violation', 'role "a b" must be 1-64 letters, digits or . _ : -'],
        [{ username: 'erin', password: 'long enough', roles: Array.from({ length: 33 }, (_, i) => `r${i}`) }, 'invalid_request', 'body.roles must NOT have more than 32 items'],
        [{ username: 'erin', password: 'short' }, 'policy_violation', 'Password must be at least 8 characters'],
      ];
      for (const [payload, error, detail] of cases) {
        const res = await call('POST', '/admin/users', admin, payload);
        assert.equal(res.statusCode, 400, detail);
        assert.deepEqual(res.json(), { error, detail });
      }
      const asText = await app.server.inject({
        method: 'POST',
        url: '/admin/users',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/plain' },
        payload: '{"username":"erin","password":"long enough"}',
      });
      assert.equal(asText.statusCode, 415);
      assert.deepEqual(asText.json(), { error: 'invalid_request', detail: 'Content-Type must be application/json' });
      assert.equal(await app.services.users.findByUsername('erin'), undefined);
    });
  });

  describe('GET /admin/users', () => {
    it('lists by username with the total, searches username (any case) and email, and pages', async () => {
      await create('zed', { email: 'zed@corp.example' });
      await create('zelda', { email: 'zelda@home.example' });
      const all = await call('GET', '/admin/users');
      assert.equal(all.statusCode, 200);
      assert.equal(all.headers['cache-control'], 'no-store');
      const { total, users } = all.json();
      assert.equal(total, users.length);
      const names = users.map((u: { username: string }) => u.username.toLowerCase());
      assert.deepEqual(names, [...names].sort());
      for (const u of users) assert.deepEqual(Object.keys(u).sort(), ['disabled', 'email', 'full_name', 'id', 'roles', 'username']);

      const byName = (await call('GET', '/admin/users?search=ZE')).json();
      assert.deepEqual([byName.total, byName.users.map((u: { username: string }) => u.username)], [2, ['zed', 'zelda']]);
      const byEmail = (await call('GET', '/admin/users?search=corp.example')).json();
      assert.deepEqual(byEmail.users.map((u: { username: string }) => u.username), ['zed']);
      const page = (await call('GET', '/admin/users?search=ze&limit=1&offset=1')).json();
      assert.deepEqual([page.total, page.users.map((u: { username: string }) => u.username)], [2, ['zelda']]);
      const none = (await call('GET', '/admin/users?search=%25')).json();
      assert.deepEqual(none, { total: 0, users: [] });

      for (const query of ['limit=0', 'limit=1001', 'offset=-1', 'sort=name', `search=${'s'.repeat(257)}`]) {
        const bad = await call('GET', `/admin/users?${query}`);
        assert.equal(bad.statusCode, 400, query);
        assert.equal(bad.json().error, 'invalid_request');
      }
    });
  });

  describe('GET /admin/users/:id', () => {
    it('reads one user, 404 for an unknown id', async () => {
      const res = await call('GET', `/admin/users/${rootId}`);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { id: rootId, username: 'root', email: null, full_name: null, disabled: false, roles: ['admin'] });
      const missing = await call('GET', '/admin/users/no-such-id');
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(missing.json(), { error: 'not_found', detail: 'No such user' });
    });
  });

  describe('PATCH /admin/users/:id', () => {
    it('changes profile and roles, naming the changed fields in the audit event', async () => {
      const id = await create('frank');
      const res = await call('PATCH', `/admin/users/${id}`, admin, { email: 'frank@example.com', full_name: 'Frank', roles: ['admin', 'user'] });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { id, username: 'frank', email: 'frank@example.com', full_name: 'Frank', disabled: false, roles: ['admin', 'user'] });
      const event = await lastEvent('user.updated', id);
      assert.deepEqual(event?.detail, { actor: rootActor(), changed: ['email', 'full_name', 'roles'] });
      // Sending what is already there changes nothing, and records nothing.
      const same = await call('PATCH', `/admin/users/${id}`, admin, { email: 'frank@example.com', roles: ['user', 'admin'], disabled: false });
      assert.equal(same.statusCode, 200);
      assert.equal((await lastEvent('user.updated', id))?.id, event?.id);
      // Events of the same millisecond list in no set order: this one comes later.
      app.clock.advance(1);
      await call('PATCH', `/admin/users/${id}`, admin, { email: 'frank@example.com', full_name: 'Frank F.' });
      assert.deepEqual((await lastEvent('user.updated', id))?.detail, { actor: rootActor(), changed: ['full_name'] });
      // The new role takes effect at the next login.
      assert.equal((await postForm(app, '/token', { username: 'frank', password: 'frank password' })).json().scope, 'admin me');
    });

    it('takes a role away from live tokens too: its scopes stop at once', async () => {
      const id = await create('hal', { roles: ['admin', 'user'] });
      const session = await login('hal', 'hal password');
      assert.equal((await call('GET', '/admin/users', session.access_token)).statusCode, 200);
      assert.equal((await call('PATCH', `/admin/users/${id}`, admin, { roles: ['user'] })).statusCode, 200);
      const demoted = await call('GET', '/admin/users', session.access_token);
      assert.equal(demoted.statusCode, 403);
      assert.equal(demoted.json().detail, 'Not enough permissions');
      assert.equal((await call('GET', '/users/me', session.access_token)).statusCode, 200, 'the scopes the user keeps still work');
      assert.equal((await call('PATCH', `/admin/users/${id}`, admin, { roles: ['admin', 'user'] })).statusCode, 200);
      assert.equal((await call('GET', '/admin/users', session.access_token)).statusCode, 200, 'given back, the role counts again');
    });

    it('disables a user: tokens stop at once, logins fail; enabling brings them back', async () => {
      const id = await create('grace');
      const session = await login('grace', 'grace password');
      const off = await call('PATCH', `/admin/users/${id}`, admin, { disabled: true });
      assert.equal(off.statusCode, 200);
      assert.equal(off.json().disabled, true);
      assert.equal((await call('GET', '/users/me', session.access_token)).statusCode, 401);
      assert.equal((await postForm(app, '/token', { username: 'grace', password: 'grace password' })).statusCode, 400);
      assert.deepEqual((await lastEvent('user.disabled', id))?.detail, { actor: rootActor(), changed: ['disabled'] });

      assert.equal((await call('PATCH', `/admin/users/${id}`, admin, { disabled: false })).json().disabled, false);
      assert.equal((await call('GET', '/users/me', session.access_token)).statusCode, 200);
    });

    it('refuses username, an empty change, and an unknown id', async () => {
      const id = await create('heidi');
      const rename = await call('PATCH', `/admin/users/${id}`, admin, { username: 'eve' });
      assert.equal(rename.statusCode, 400);
      assert.deepEqual(rename.json(), { error: 'invalid_request', detail: 'body.username is not accepted here' });
      const empty = await call('PATCH', `/admin/users/${id}`, admin, {});
      assert.deepEqual([empty.statusCode, empty.json().detail], [400, 'body must name at least one field to change']);
      const missing = await call('PATCH', '/admin/users/no-such-id', admin, { email: null });
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(missing.json(), { error: 'not_found', detail: 'No such user' });
    });

    it('does not let an admin disable themselves or change their own roles', async () => {
      const cases: Array<[unknown, string]> = [
        [{ disabled: true }, 'You cannot disable your own account; another admin or the CLI can'],
        [{ roles: ['user'] }, 'You cannot change your own roles; another admin or the CLI can'],
        [{ roles: ['admin', 'user'] }, 'You cannot change your own roles; another admin or the CLI can'],
      ];
      for (const [payload, detail] of cases) {
        const res = await call('PATCH', `/admin/users/${rootId}`, admin, payload);
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), { error: 'policy_violation', detail });
      }
      // Sending the roles unchanged, with a profile change, is fine.
      const same = await call('PATCH', `/admin/users/${rootId}`, admin, { roles: ['admin'], full_name: 'Root', disabled: false });
      assert.equal(same.statusCode, 200);
      assert.deepEqual([same.json().roles, same.json().full_name, same.json().disabled], [['admin'], 'Root', false]);
    });
  });

  describe('DELETE /admin/users/:id', () => {
    it('deletes a user: their tokens stop at once; 404 afterwards', async () => {
      const id = await create('ivan');
      const session = await login('ivan', 'ivan password');
      const res = await call('DELETE', `/admin/users/${id}`);
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      assert.equal((await call('GET', '/users/me', session.access_token)).statusCode, 401);
      assert.equal((await postForm(app, '/token', { grant_type: 'refresh_token', refresh_token: session.refresh_token })).statusCode, 400);
      assert.equal((await call('GET', `/admin/users/${id}`)).statusCode, 404);
      const again = await call('DELETE', `/admin/users/${id}`);
      assert.deepEqual([again.statusCode, again.json()], [404, { error: 'not_found', detail: 'No such user' }]);
      const event = await lastEvent('user.deleted', id);
      assert.deepEqual([event?.username, event?.detail], ['ivan', { actor: rootActor() }]);
    });

    it('does not let an admin delete themselves', async () => {
      const res = await call('DELETE', `/admin/users/${rootId}`);
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), { error: 'policy_violation', detail: 'You cannot delete your own account; another admin or the CLI can' });
      assert.equal((await call('GET', `/admin/users/${rootId}`)).statusCode, 200);
    });
  });

  describe('POST /admin/users/:id/password', () => {
    it('sets the password and ends the user’s sessions', async () => {
      const id = await create('judy');
      const session = await login('judy', 'judy password');
      const res = await call('POST', `/admin/users/${id}/password`, admin, { password: 'judy new password' });
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      assert.equal((await call('GET', '/users/me', session.access_token)).statusCode, 401);
      const reuse = await postForm(app, '/token', { grant_type: 'refresh_token', refresh_token: session.refresh_token });
      assert.deepEqual([reuse.statusCode, reuse.json().error], [400, 'invalid_grant']);
      assert.equal((await postForm(app, '/token', { username: 'judy', password: 'judy password' })).statusCode, 400);
      await login('judy', 'judy new password');
      assert.deepEqual((await lastEvent('password.changed', id))?.detail, { actor: rootActor() });
      // The admin's own session is not touched.
      assert.equal((await call('GET', '/users/me', admin)).statusCode, 200);
    });

    it('applies the policy; 404 for an unknown user', async () => {
      const id = await create('ken');
      const short = await call('POST', `/admin/users/${id}/password`, admin, { password: 'short' });
      assert.deepEqual([short.statusCode, short.json()], [400, { error: 'policy_violation', detail: 'Password must be at least 8 characters' }]);
      const missing = await call('POST', '/admin/users/no-such-id/password', admin, { password: 'long enough' });
      assert.deepEqual([missing.statusCode, missing.json()], [404, { error: 'not_found', detail: 'No such user' }]);
    });
  });

  describe('/admin/users/:id/sessions', () => {
    it('lists a user’s sessions and ends one; another user’s session id is 404', async () => {
      const id = await create('leo');
      const first = await login('leo', 'leo password');
      app.clock.advance(1000);
      const second = await login('leo', 'leo password');

      const list = await call('GET', `/admin/users/${id}/sessions`);
      assert.equal(list.statusCode, 200);
      assert.equal(list.headers['cache-control'], 'no-store');
      const { total, sessions } = list.json();
      assert.equal(total, 2);
      assert.deepEqual(Object.keys(sessions[0]).sort(), ['client_id', 'created_at', 'expires_at', 'id', 'scope']);
      assert.deepEqual([sessions[0].client_id, sessions[0].scope], ['gatehouse', 'me']);
      assert.ok(sessions[0].created_at > sessions[1].created_at);
      assert.ok(!list.body.includes(first.refresh_token) && !list.body.includes(second.refresh_token));

      const rootSession = (await call('GET', `/admin/users/${rootId}/sessions?limit=1`)).json().sessions[0].id;
      const wrongUser = await call('DELETE', `/admin/users/${id}/sessions/${rootSession}`);
      assert.deepEqual([wrongUser.statusCode, wrongUser.json()], [404, { error: 'not_found', detail: 'No such session' }]);
      assert.equal((await call('GET', '/users/me', admin)).statusCode, 200);

      const end = await call('DELETE', `/admin/users/${id}/sessions/${sessions[0].id}`);
      assert.equal(end.statusCode, 204);
      assert.equal(end.body, '');
      assert.equal((await call('GET', '/users/me', second.access_token)).statusCode, 401);
      assert.equal((await call('GET', '/users/me', first.access_token)).statusCode, 200);
      assert.deepEqual((await call('GET', `/admin/users/${id}/sessions`)).json().sessions.map((s: { id: string }) => s.id), [sessions[1].id]);
      assert.deepEqual((await lastEvent('session.ended', id))?.detail, { family: sessions[0].id, reason: 'ended_by_admin', actor: rootActor() });

      const unknownUser = await call('GET', '/admin/users/no-such-id/sessions');
      assert.deepEqual([unknownUser.statusCode, unknownUser.json()], [404, { error: 'not_found', detail: 'No such user' }]);
    });
  });

  it('records a client acting with the admin scope (client_credentials) as the actor', async () => {
    const client = await registerClient(app, { name: 'provisioning', scopes: ['admin'] });
    const token = (await postForm(app, '/token', { grant_type: 'client_credentials' }, { authorization: basic(client.id, client.secret) })).json().access_token;
    const res = await call('POST', '/admin/users', token, { username: 'mike', password: 'mike password' });
    assert.equal(res.statusCode, 201);
    assert.deepEqual((await lastEvent('user.created', res.json().id))?.detail, { actor: { user_id: null, username: null, client_id: client.id } });
  });

  describe('for every /admin/users route', () => {
    const routes = [
      ['GET', '/admin/users', undefined],
      ['POST', '/admin/users', { username: 'x', password: 'long enough' }],
      ['GET', '/admin/users/x', undefined],
      ['PATCH', '/admin/users/x', { email: null }],
      ['DELETE', '/admin/users/x', undefined],
      ['POST', '/admin/users/x/password', { password: 'long enough' }],
      ['GET', '/admin/users/x/sessions', undefined],
      ['DELETE', '/admin/users/x/sessions/y', undefined],
    ] as const;

    it('needs the admin scope: 403 insufficient_scope with the challenge, 401 without a token', async () => {
      for (const [method, url, payload] of routes) {
        const res = await call(method, url, user, payload);
        assert.equal(res.statusCode, 403, `${method} ${url}`);
        assert.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="admin"');
        assert.deepEqual(res.json(), { detail: 'Not enough permissions' });
        const anonymous = await call(method, url, null, payload);
        assert.equal(anonymous.statusCode, 401, `${method} ${url}`);
        assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
        assert.deepEqual(anonymous.json(), { detail: 'Not authenticated' });
      }
    });

    it('appears in /openapi.json with the admin scope', async () => {
      const doc = (await app.server.inject('/openapi.json')).json();
      const security = [{ OAuth2PasswordBearer: ['admin'] }];
      for (const [method, url] of routes) {
        const path = url.replace('/x/sessions/y', '/{id}/sessions/{sessionId}').replace('/x', '/{id}');
        assert.deepEqual(doc.paths[path]?.[method.toLowerCase()]?.security, security, `${method} ${path}`);
      }
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AuditEvent } from '../../src/store/store.js';
import { basic, createTestApp, postForm, registerClient, type TestApp } from '../helpers/app.js';

interface Login {
  readonly access_token: string;
  readonly refresh_token: string;
}

describe('the signed-in user’s own account', () => {
  let app: TestApp;
  let aliceId: string;

  before(async () => {
    app = await createTestApp();
    await app.services.users.create({ username: 'root', password: 'root password', roles: ['admin'] });
  });
  after(() => app.close());

  // Each test gets a fresh alice, with a password of its own, so tests do not share sessions.
  let password: string;
  beforeEach(async () => {
    password = `alice password ${Math.random()}`;
    const existing = await app.services.users.findByUsername('alice');
    if (existing) await app.services.users.delete(existing.id);
    aliceId = (await app.services.users.create({ username: 'alice', password, email: 'alice@example.com', fullName: 'Alice Liddell' })).id;
  });

  async function login(username = 'alice', pass = password, headers: Record<string, string> = {}): Promise<Login> {
    const res = await postForm(app, '/token', { username, password: pass }, headers);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as Login;
  }
  function call(method: 'GET' | 'PATCH' | 'POST' | 'DELETE', url: string, token: string | undefined, payload?: unknown) {
    return app.server.inject({
      method,
      url,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  }
  const refresh = (refreshToken: string) => postForm(app, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken });
  async function events(type: string): Promise<readonly AuditEvent[]> {
    await app.services.audit.flush();
    return (await app.services.audit.list({ limit: 100, offset: 0, type, userId: aliceId })).events;
  }

  describe('PATCH /users/me', () => {
    it('changes email and full name, answers the profile, and records who did it', async () => {
      const { access_token } = await login();
      const res = await call('PATCH', '/users/me', access_token, { email: 'alice@wonderland.example', full_name: 'Alice' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(res.json(), {
        id: aliceId,
        username: 'alice',
        email: 'alice@wonderland.example',
        full_name: 'Alice',
        disabled: false,
        roles: ['user'],
      });
      assert.equal((await call('GET', '/users/me', access_token)).json().email, 'alice@wonderland.example');

      const [event] = await events('user.updated');
      assert.deepEqual(event?.detail, { actor: { user_id: aliceId, username: 'alice', client_id: 'gatehouse' }, changed: ['email', 'full_name'] });
      assert.equal(event?.ip, '127.0.0.1');
    });

    it('clears a field set to null or "", and leaves out fields alone', async () => {
      const { access_token } = await login();
      const cleared = await call('PATCH', '/users/me', access_token, { email: null });
      assert.equal(cleared.statusCode, 200);
      assert.deepEqual([cleared.json().email, cleared.json().full_name], [null, 'Alice Liddell']);
      const blank = await call('PATCH', '/users/me', access_token, { full_name: '' });
      assert.deepEqual([blank.json().email, blank.json().full_name], [null, null]);
    });

    it('refuses username, roles and disabled, naming the field, and changes nothing', async () => {
      const { access_token } = await login();
      for (const [field, value] of [
        ['username', 'mallory'],
        ['roles', ['admin']],
        ['disabled', true],
      ] as const) {
        const res = await call('PATCH', '/users/me', access_token, { email: 'x@example.com', [field]: value });
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), { error: 'invalid_request', detail: `body.${field} is not accepted here` });
      }
      const me = (await call('GET', '/users/me', access_token)).json();
      assert.deepEqual([me.username, me.email, me.roles, me.disabled], ['alice', 'alice@example.com', ['user'], false]);
    });

    it('refuses an empty change, a bad email, an oversized field and a non-JSON body', async () => {
      const { access_token } = await login();
      const empty = await call('PATCH', '/users/me', access_token, {});
      assert.equal(empty.statusCode, 400);
      assert.deepEqual(empty.json(), { error: 'invalid_request', detail: 'body must name at least one field to change' });

      const badEmail = await call('PATCH', '/users/me', access_token, { email: 'not an address' });
      assert.equal(badEmail.statusCode, 400);
      assert.deepEqual(badEmail.json(), { error: 'policy_violation', detail: 'email is not a valid address' });

      const long = await call('PATCH', '/users/me', access_token, { full_name: 'a'.repeat(257) });
      assert.equal(long.statusCode, 400);
      assert.deepEqual(long.json(), { error: 'invalid_request', detail: 'body.full_name must NOT have more than 256 characters' });

      const asForm = await app.server.inject({
        method: 'PATCH',
        url: '/users/me',
        headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'email=x%40example.com',
      });
      assert.equal(asForm.statusCode, 415);
      assert.deepEqual(asForm.json(), { error: 'invalid_request', detail: 'Content-Type must be application/json' });
      assert.equal((await call('GET', '/users/me', access_token)).json().email, 'alice@example.com');
    });
  });

  describe('POST /users/me/password', () => {
    it('refuses a wrong current password with 400 incorrect_password, and changes nothing', async () => {
      const session = await login();
      const res = await call('POST', '/users/me/password', session.access_token, { current_password: 'not it at all', new_password: 'a new password' });
      assert.equal(res.statusCode, 400);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.deepEqual(res.json(), { error: 'incorrect_password', detail: 'The current password is incorrect' });
      assert.equal((await call('GET', '/users/me', session.access_token)).statusCode, 200);
      assert.equal((await refresh(session.refresh_token)).statusCode, 200);
      await login('alice', password);
      const [failed] = await events('password.change_failed');
      assert.deepEqual([failed?.username, failed?.ip, failed?.detail], ['alice', '127.0.0.1', { actor: { user_id: aliceId, username: 'alice', client_id: 'gatehouse' } }]);
      assert.deepEqual(await events('password.changed'), []);
    });

    it('counts wrong current passwords against the account as failed logins: then 429, for logins too', async () => {
      const { access_token } = await login();
      const attempt = (current: string) => call('POST', '/users/me/password', access_token, { current_password: current, new_password: 'a new long password' });
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await attempt(`wrong guess ${i}`)).statusCode);
      assert.deepEqual(statuses, [400, 400, 400, 400, 400, 400, 429, 429], "the free failures, one more check, then none");
      const held = await attempt(password);
      assert.equal(held.statusCode, 429, 'not even the right password is checked meanwhile');
      assert.ok(Number(held.headers['retry-after']) >= 1);
      assert.equal(held.json().error, 'slow_down');
      assert.equal((await postForm(app, '/token', { username: 'alice', password })).statusCode, 429, 'one counter for logins and password checks');
      const throttled = (await events('password.change_failed')).filter((e) => e.detail?.['reason'] === 'throttled');
      assert.ok(throttled.length >= 1);
      app.clock.advance(10 * 60_000); // past the backoff, within the access token's 15 minutes
      assert.equal((await attempt(password)).statusCode, 204, 'once the wait is over, the right password works');
    });

    it('applies the password policy to the new password', async () => {
      const { access_token } = await login();
      const short = await call('POST', '/users/me/password', access_token, { current_password: password, new_password: 'short' });
      assert.equal(short.statusCode, 400);
      assert.deepEqual(short.json(), { error: 'policy_violation', detail: 'Password must be at least 8 characters' });
      const missing = await call('POST', '/users/me/password', access_token, { current_password: password });
      assert.equal(missing.statusCode, 400);
      assert.deepEqual(missing.json(), { error: 'invalid_request', detail: 'body.new_password is required' });
      await login('alice', password);
    });

    it('sets the new password and ends every other session of the user; the caller’s own goes on', async () => {
      // The caller's access token came from a refresh grant: its session is found by any of its tokens.
      const caller = (await refresh((await login()).refresh_token)).json();
      const phone = await login();
      const tablet = (await refresh((await login()).refresh_token)).json();
      const other = await login('root', 'root password');

      const res = await call('POST', '/users/me/password', caller.access_token, { current_password: password, new_password: 'a brand new password' });
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');

      const old = await postForm(app, '/token', { username: 'alice', password });
      assert.equal(old.statusCode, 400);
      assert.equal(old.json().error, 'invalid_grant');
      for (const session of [phone, tablet]) {
        const me = await call('GET', '/users/me', session.access_token);
        assert.equal(me.statusCode, 401);
        assert.equal(me.headers['www-authenticate'], 'Bearer error="invalid_token"');
        assert.deepEqual((await refresh(session.refresh_token)).json().error, 'invalid_grant');
      }
      // The caller's session goes on: its access token works, its refresh token rotates.
      assert.equal((await call('GET', '/users/me', caller.access_token)).statusCode, 200);
      const next = await refresh(caller.refresh_token);
      assert.equal(next.statusCode, 200);
      // Someone else's session goes on.
      assert.equal((await call('GET', '/users/me', other.access_token)).statusCode, 200);

      const fresh = await login('alice', 'a brand new password');
      const sessions = (await call('GET', '/users/me/sessions', fresh.access_token)).json();
      assert.equal(sessions.total, 2);
      const [changed] = await events('password.changed');
      assert.deepEqual(changed?.detail, { actor: { user_id: aliceId, username: 'alice', client_id: 'gatehouse' } });
    });
  });

  describe('GET /users/me/sessions', () => {
    it('lists the user’s live logins, newest first, with no token or hash in sight', async () => {
      const client = await registerClient(app, { name: 'mobile app', public: true });
      const first = await login();
      const firstAt = app.clock.now();
      app.clock.advance(60_000);
      const second = await login();
      app.clock.advance(60_000);
      const third = await postForm(app, '/token', { username: 'alice', password, client_id: client.id, scope: 'me' });
      assert.equal(third.statusCode, 200);
      app.clock.advance(60_000);
      const ended = await login();
      await call('DELETE', `/users/me/sessions/${await newestSessionId(ended.access_token)}`, ended.access_token);
      await login('root', 'root password');

      const res = await call('GET', '/users/me/sessions', second.access_token);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      const body = res.json();
      assert.equal(body.total, 3);
      assert.deepEqual(
        body.sessions.map((s: { client_id: string; scope: string }) => [s.client_id, s.scope]),
        [
          [client.id, 'me'],
          ['gatehouse', 'me'],
          ['gatehouse', 'me'],
        ],
      );
      for (const session of body.sessions) {
        assert.deepEqual(Object.keys(session).sort(), ['client_id', 'created_at', 'expires_at', 'id', 'scope']);
        assert.equal(Date.parse(session.expires_at) - Date.parse(session.created_at), 30 * 86_400_000);
      }
      assert.equal(body.sessions[2].created_at, new Date(firstAt).toISOString());
      for (const secret of [first.refresh_token, second.refresh_token, third.json().refresh_token]) assert.ok(!res.body.includes(secret));

      const page = (await call('GET', '/users/me/sessions?limit=1&offset=1', second.access_token)).json();
      assert.deepEqual([page.total, page.sessions.map((s: { id: string }) => s.id)], [3, [body.sessions[1].id]]);
      const bad = await call('GET', '/users/me/sessions?limit=5000', second.access_token);
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error, 'invalid_request');
    });
  });

  describe('DELETE /users/me/sessions/:id', () => {
    it('ends that session: its refresh token and its access token stop working, the others go on', async () => {
      const laptop = await login();
      app.clock.advance(1000);
      const phone = await login();
      const phoneSession = await newestSessionId(phone.access_token);

      const res = await call('DELETE', `/users/me/sessions/${phoneSession}`, laptop.access_token);
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      assert.equal((await call('GET', '/users/me', phone.access_token)).statusCode, 401);
      assert.equal((await refresh(phone.refresh_token)).json().error, 'invalid_grant');
      assert.equal((await call('GET', '/users/me', laptop.access_token)).statusCode, 200);
      assert.equal((await refresh(laptop.refresh_token)).statusCode, 200);

      const again = await call('DELETE', `/users/me/sessions/${phoneSession}`, laptop.access_token);
      assert.equal(again.statusCode, 404);
      assert.deepEqual(again.json(), { error: 'not_found', detail: 'No such session' });
      const [event] = await events('session.ended');
      assert.deepEqual(event?.detail, {
        family: phoneSession,
        reason: 'signed_out',
        actor: { user_id: aliceId, username: 'alice', client_id: 'gatehouse' },
      });
    });

    it('answers 404 for another user’s session, and that session goes on', async () => {
      const root = await login('root', 'root password');
      const rootSession = await newestSessionId(root.access_token);
      const { access_token } = await login();
      for (const id of [rootSession, 'no-such-session']) {
        const res = await call('DELETE', `/users/me/sessions/${id}`, access_token);
        assert.equal(res.statusCode, 404);
        assert.deepEqual(res.json(), { error: 'not_found', detail: 'No such session' });
      }
      assert.equal((await call('GET', '/users/me', root.access_token)).statusCode, 200);
      assert.equal((await refresh(root.refresh_token)).statusCode, 200);
    });
  });

  describe('for every /users/me route', () => {
    const routes = [
      ['PATCH', '/users/me', { email: 'x@example.com' }],
      ['POST', '/users/me/password', { current_password: 'x', new_password: 'y' }],
      ['GET', '/users/me/sessions', undefined],
      ['DELETE', '/users/me/sessions/x', undefined],
    ] as const;

    it('answers 401 without a token before reading the body', async () => {
      for (const [method, url] of routes) {
        const res = await app.server.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: '{not json' });
        assert.equal(res.statusCode, 401, `${method} ${url}`);
        assert.equal(res.headers['www-authenticate'], 'Bearer');
        assert.deepEqual(res.json(), { detail: 'Not authenticated' });
      }
    });

    it('answers 403 insufficient_scope for a token without `me`, and for a client’s token', async () => {
      const adminOnly = (await postForm(app, '/token', { username: 'root', password: 'root password', scope: 'admin' })).json().access_token;
      const client = await registerClient(app, { scopes: ['me'] });
      const clientToken = (await postForm(app, '/token', { grant_type: 'client_credentials' }, { authorization: basic(client.id, client.secret) })).json()
        .access_token;
      for (const [method, url, payload] of routes) {
        const narrow = await call(method, url, adminOnly, payload);
        assert.equal(narrow.statusCode, 403, `${method} ${url}`);
        assert.equal(narrow.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="me"');
        assert.deepEqual(narrow.json(), { detail: 'Not enough permissions' });
        const asClient = await call(method, url, clientToken, payload);
        assert.equal(asClient.statusCode, 403, `${method} ${url}`);
        assert.deepEqual(asClient.json(), { detail: 'This token does not belong to a user' });
      }
    });

    it('appears in /openapi.json with the `me` scope', async () => {
      const doc = (await app.server.inject('/openapi.json')).json();
      const security = [{ OAuth2PasswordBearer: ['me'] }];
      assert.deepEqual(doc.paths['/users/me'].patch.security, security);
      assert.deepEqual(doc.paths['/users/me/password'].post.security, security);
      assert.deepEqual(doc.paths['/users/me/sessions'].get.security, security);
      assert.deepEqual(doc.paths['/users/me/sessions/{id}'].delete.security, security);
      assert.deepEqual(doc.paths['/users/me'].patch.requestBody.content['application/json'].schema.properties.email, {
        description: 'null or "" clears it',
        type: 'string',
        maxLength: 254,
        nullable: true,
      });
    });
  });

  async function newestSessionId(accessToken: string): Promise<string> {
    const res = await call('GET', '/users/me/sessions?limit=1', accessToken);
    assert.equal(res.statusCode, 200);
    return res.json().sessions[0].id as string;
  }
});

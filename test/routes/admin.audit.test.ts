import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, postForm, type TestApp } from '../helpers/app.js';

describe('GET /admin/audit', () => {
  let app: TestApp;
  let admin: string;
  let user: string;
  let rootId: string;
  let aliceId: string;
  let t0: number;

  // A known history, one second apart, so "newest first" has one right answer.
  before(async () => {
    app = await createTestApp();
    t0 = app.clock.now();
    rootId = (await app.services.users.create({ username: 'root', password: 'root password', roles: ['admin'] })).id;
    app.clock.advance(1000);
    admin = (await postForm(app, '/token', { username: 'root', password: 'root password' })).json().access_token;
    app.clock.advance(1000);
    assert.equal((await postForm(app, '/token', { username: 'nobody', password: 'wrong password' })).statusCode, 400);
    app.clock.advance(1000);
    const created = await app.server.inject({
      method: 'POST',
      url: '/admin/users',
      headers: { authorization: `Bearer ${admin}` },
      payload: { username: 'alice', password: 'correct horse' },
    });
    aliceId = created.json().id;
    app.clock.advance(1000);
    user = (await postForm(app, '/token', { username: 'alice', password: 'correct horse' })).json().access_token;
    await app.services.audit.flush();
  });
  after(() => app.close());

  const get = async (query: string, token: string | null = admin) => {
    const res = await app.server.inject({ method: 'GET', url: `/admin/audit${query}`, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
    return res;
  };
  const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
  const withoutIds = (events: Array<Record<string, unknown>>) => events.map(({ id, ...rest }) => (assert.match(String(id), /^[0-9a-f-]{36}$/), rest));

  it('answers the events newest first, with the acting admin in the detail', async () => {
    const res = await get('');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json();
    assert.equal(body.total, 5);
    assert.deepEqual(withoutIds(body.events), [
      { at: at(4), type: 'login.success', user_id: aliceId, username: 'alice', client_id: 'gatehouse', ip: '127.0.0.1', detail: null },
      {
        at: at(3),
        type: 'user.created',
        user_id: aliceId,
        username: 'alice',
        client_id: null,
        ip: '127.0.0.1',
        detail: { actor: { user_id: rootId, username: 'root', client_id: 'gatehouse' } },
      },
      { at: at(2), type: 'login.failure', user_id: null, username: 'nobody', client_id: 'gatehouse', ip: '127.0.0.1', detail: { reason: 'unknown_user' } },
      { at: at(1), type: 'login.success', user_id: rootId, username: 'root', client_id: 'gatehouse', ip: '127.0.0.1', detail: null },
      { at: at(0), type: 'user.created', user_id: rootId, username: 'root', client_id: null, ip: null, detail: null },
    ]);
    assert.ok(!res.body.includes('root password') && !res.body.includes('correct horse') && !res.body.includes('wrong password'));
  });

  it('filters by type and by user, and pages', async () => {
    const byType = (await get('?type=login.success')).json();
    assert.deepEqual([byType.total, byType.events.map((e: { username: string }) => e.username)], [2, ['alice', 'root']]);
    const byUser = (await get(`?user_id=${aliceId}`)).json();
    assert.deepEqual([byUser.total, byUser.events.map((e: { type: string }) => e.type)], [2, ['login.success', 'user.created']]);
    const both = (await get(`?type=user.created&user_id=${aliceId}`)).json();
    assert.deepEqual([both.total, both.events.length], [1, 1]);
    const page = (await get('?limit=2&offset=1')).json();
    assert.deepEqual([page.total, page.events.map((e: { at: string }) => e.at)], [5, [at(3), at(2)]]);
    assert.deepEqual((await get('?type=keys.rotated')).json(), { total: 0, events: [] });
  });

  it('refuses malformed filters and pages', async () => {
    for (const query of ['?type=Login%20Success', '?limit=0', '?limit=1001', '?offset=x', `?user_id=${'u'.repeat(65)}`, '?since=0']) {
      const res = await get(query);
      assert.equal(res.statusCode, 400, query);
      assert.equal(res.json().error, 'invalid_request');
    }
  });

  it('needs the admin scope', async () => {
    const res = await get('', user);
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="admin"');
    assert.deepEqual(res.json(), { detail: 'Not enough permissions' });
    const anonymous = await get('', null);
    assert.equal(anonymous.statusCode, 401);
    assert.deepEqual(anonymous.json(), { detail: 'Not authenticated' });
  });

  it('appears in /openapi.json with the admin scope and its filters', async () => {
    const operation = (await app.server.inject('/openapi.json')).json().paths['/admin/audit'].get;
    assert.deepEqual(operation.security, [{ OAuth2PasswordBearer: ['admin'] }]);
    assert.deepEqual(operation.parameters.map((p: { name: string }) => p.name).sort(), ['limit', 'offset', 'type', 'user_id']);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, createTestApp, postForm, registerClient, type TestApp } from '../helpers/app.js';

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;
}

describe('POST /token, client_credentials grant', () => {
  let app: TestApp;
  let billing: { id: string; secret: string };
  before(async () => {
    app = await createTestApp();
    billing = await registerClient(app, { name: 'billing', scopes: ['invoices:read', 'invoices:write'] });
  });
  after(() => app.close());

  const cc = (fields: Record<string, string> = {}, headers: Record<string, string> = {}) =>
    postForm(app, '/token', { grant_type: 'client_credentials', ...fields }, headers);

  it('issues a token for the client itself with client_secret_basic, and no refresh token', async () => {
    const res = await cc({}, { authorization: basic(billing.id, billing.secret) });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.scope, 'invoices:read invoices:write');
    const c = claims(body.access_token);
    assert.equal(c['sub'], billing.id);
    assert.equal(c['client_id'], billing.id);
    assert.equal(c['preferred_username'], undefined);
  });

  it('accepts client_secret_post', async () => {
    const res = await cc({ client_id: billing.id, client_secret: billing.secret, scope: 'invoices:read' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().scope, 'invoices:read');
  });

  it('limits the scope to the client’s: a partly allowed request narrows, a wholly foreign one is invalid_scope', async () => {
    const some = await cc({ scope: 'invoices:read admin' }, { authorization: basic(billing.id, billing.secret) });
    assert.equal(some.json().scope, 'invoices:read');
    const none = await cc({ scope: 'admin me' }, { authorization: basic(billing.id, billing.secret) });
    assert.equal(none.statusCode, 400);
    assert.equal(none.json().error, 'invalid_scope');
  });

  it('answers 401 invalid_client with a Basic challenge for a wrong secret, an unknown client or no authentication', async () => {
    const attempts = [
      await cc({}, { authorization: basic(billing.id, 'wrong') }),
      await cc({ client_id: billing.id, client_secret: 'wrong' }),
      await cc({}, { authorization: basic('no-such-client', 'secret') }),
      await cc({ client_id: billing.id }),
      await cc(),
    ];
    for (const res of attempts) {
      assert.equal(res.statusCode, 401);
      assert.match(res.headers['www-authenticate'] as string, /^Basic /);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.json().error, 'invalid_client');
    }
    await app.services.audit.flush();
    const { total } = await app.store.audit.list({ limit: 1, offset: 0, type: 'client.auth_failed' });
    assert.ok(total >= 4);
  });

  it('refuses two authentication methods at once, and a body client_id that contradicts Basic', async () => {
    const both = await cc({ client_secret: billing.secret }, { authorization: basic(billing.id, billing.secret) });
    assert.equal(both.statusCode, 401);
    assert.equal(both.json().error, 'invalid_client');
    const contradicting = await cc({ client_id: 'someone-else' }, { authorization: basic(billing.id, billing.secret) });
    assert.equal(contradicting.statusCode, 401);
    assert.equal(contradicting.json().error, 'invalid_client');
    const same = await cc({ client_id: billing.id }, { authorization: basic(billing.id, billing.secret) });
    assert.equal(same.statusCode, 200);
  });

  it('decodes form-urlencoded Basic credentials (RFC 6749 §2.3.1)', async () => {
    const raw = `Basic ${Buffer.from(`${billing.id}:${billing.secret}`).toString('base64')}`;
    assert.equal((await cc({}, { authorization: raw })).statusCode, 200);
  });

  it('answers unauthorized_client for a public client', async () => {
    const spa = await registerClient(app, { public: true, scopes: ['invoices:read'] });
    const res = await cc({ client_id: spa.id });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'unauthorized_client');
  });

  it('lets a confidential client use the password grant only when it authenticates', async () => {
    await app.services.users.create({ username: 'carol', password: 'carol password' });
    const withSecret = await postForm(app, '/token', { username: 'carol', password: 'carol password' }, { authorization: basic(billing.id, billing.secret) });
    assert.equal(withSecret.statusCode, 200);
    assert.equal(claims(withSecret.json().access_token)['client_id'], billing.id);
    const without = await postForm(app, '/token', { username: 'carol', password: 'carol password', client_id: billing.id });
    assert.equal(without.statusCode, 401);
    assert.equal(without.json().error, 'invalid_client');
  });
});

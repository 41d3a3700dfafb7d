import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, createTestApp, postForm, registerClient, type TestApp } from '../helpers/app.js';

/** RFC 6749 §5.2: every failure of the token endpoint, with its status, headers and body. */
describe('POST /token errors (RFC 6749 §5.2)', () => {
  let app: TestApp;
  let confidential: { id: string; secret: string };
  let publicClient: { id: string; secret: string };
  before(async () => {
    app = await createTestApp();
    await app.services.users.create({ username: 'alice', password: 'correct horse' });
    confidential = await registerClient(app, { scopes: ['reports'] });
    publicClient = await registerClient(app, { public: true });
  });
  after(() => app.close());

  const cases: Array<{
    code: string;
    status: number;
    why: string;
    fields: () => Record<string, string>;
    headers?: () => Record<string, string>;
    description: string | RegExp;
  }> = [
    {
      code: 'invalid_request',
      status: 400,
      why: 'password grant without a password',
      fields: () => ({ grant_type: 'password', username: 'alice' }),
      description: 'username and password are required',
    },
    {
      code: 'invalid_request',
      status: 400,
      why: 'refresh grant without a refresh_token',
      fields: () => ({ grant_type: 'refresh_token' }),
      description: 'refresh_token is required',
    },
    {
      code: 'invalid_client',
      status: 401,
      why: 'a client_id that names no registered client',
      fields: () => ({ username: 'alice', password: 'correct horse', client_id: 'unregistered' }),
      description: 'Client authentication failed',
    },
    {
      code: 'invalid_client',
      status: 401,
      why: 'a public client that sends a secret',
      fields: () => ({ username: 'alice', password: 'correct horse', client_id: publicClient.id, client_secret: 'anything' }),
      description: 'Client authentication failed',
    },
    {
      code: 'invalid_client',
      status: 401,
      why: 'a wrong client secret',
      fields: () => ({ grant_type: 'client_credentials' }),
      headers: () => ({ authorization: basic(confidential.id, 'not the secret') }),
      description: 'Client authentication failed',
    },
    {
      code: 'invalid_grant',
      status: 400,
      why: 'a wrong password',
      fields: () => ({ username: 'alice', password: 'wrong' }),
      description: 'Incorrect username or password',
    },
    {
      code: 'invalid_grant',
      status: 400,
      why: 'an unknown refresh token',
      fields: () => ({ grant_type: 'refresh_token', refresh_token: 'B'.repeat(43) }),
      description: 'Invalid refresh token',
    },
    {
      code: 'unauthorized_client',
      status: 400,
      why: 'a public client asking for client_credentials',
      fields: () => ({ grant_type: 'client_credentials', client_id: publicClient.id }),
      description: 'A public client cannot use client_credentials',
    },
    {
      code: 'unsupported_grant_type',
      status: 400,
      why: 'an unknown grant type',
      fields: () => ({ grant_type: 'authorization_code', code: 'x' }),
      description: 'grant_type "authorization_code" is not supported',
    },
    {
      code: 'invalid_scope',
      status: 400,
      why: 'only scopes the user may not have',
      fields: () => ({ username: 'alice', password: 'correct horse', scope: 'admin' }),
      description: 'None of the requested scopes may be granted',
    },
    {
      code: 'invalid_scope',
      status: 400,
      why: 'a malformed scope',
      fields: () => ({ grant_type: 'client_credentials', scope: 'a\\b' }),
      headers: () => ({ authorization: basic(confidential.id, confidential.secret) }),
      description: /RFC 6749 §3.3/,
    },
  ];

  for (const c of cases) {
    it(`answers ${c.status} ${c.code} for ${c.why}`, async () => {
      const res = await postForm(app, '/token', c.fields(), c.headers?.() ?? {});
      assert.equal(res.statusCode, c.status);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.match(res.headers['content-type'] as string, /^application\/json/);
      if (c.code === 'invalid_client') assert.equal(res.headers['www-authenticate'], 'Basic realm="gatehouse", charset="UTF-8"');
      else assert.equal(res.headers['www-authenticate'], undefined);
      const body = res.json();
      assert.deepEqual(Object.keys(body).sort(), ['detail', 'error', 'error_description']);
      assert.equal(body.error, c.code);
      if (typeof c.description === 'string') assert.equal(body.error_description, c.description);
      else assert.match(body.error_description, c.description);
      assert.equal(body.detail, body.error_description);
    });
  }
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, postForm, type TestApp } from '../helpers/app.js';

describe('metadata and JWKS', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ GATEHOUSE_ISSUER: 'https://auth.example.com', GATEHOUSE_ROLE_SCOPES: 'user=me;admin=me admin;auditor=audit:read' });
  });
  after(() => app.close());

  const expected = {
    issuer: 'https://auth.example.com',
    token_endpoint: 'https://auth.example.com/token',
    revocation_endpoint: 'https://auth.example.com/revoke',
    introspection_endpoint: 'https://auth.example.com/introspect',
    jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
    grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: ['admin', 'audit:read', 'me'],
    service_documentation: 'https://auth.example.com/docs',
  };

  it('serves RFC 8414 metadata at both well-known paths', async () => {
    for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const res = await app.server.inject(url);
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] as string, /^application\/json/);
      assert.equal(res.headers['cache-control'], 'public, max-age=300');
      assert.deepEqual(res.json(), expected);
    }
  });

  it('publishes public keys only, each with kid, alg and use', async () => {
    const res = await app.server.inject('/.well-known/jwks.json');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'public, max-age=60');
    const { keys } = res.json() as { keys: Array<Record<string, unknown>> };
    assert.equal(keys.length, 1);
    const key = keys[0] as Record<string, unknown>;
    assert.equal(key['kid'], app.keys.signingKey().kid);
    assert.equal(key['alg'], 'ES256');
    assert.equal(key['use'], 'sig');
    assert.equal(key['kty'], 'EC');
    for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(key[privateMember], undefined);
  });

  it('keeps a rotated-out key published until its last token has expired, then drops it', async () => {
    await app.services.users.create({ username: 'alice', password: 'correct horse' });
    const oldKid = app.keys.signingKey().kid;
    const before = (await postForm(app, '/token', { username: 'alice', password: 'correct horse' })).json().access_token as string;
    const rotated = await app.keys.rotate();
    assert.notEqual(rotated.kid, oldKid);
    const kids = async () => ((await app.server.inject('/.well-known/jwks.json')).json().keys as Array<{ kid: string }>).map((k) => k.kid);
    const kidOfNewToken = async () => {
      const token = (await postForm(app, '/token', { username: 'alice', password: 'correct horse' })).json().access_token as string;
      return JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid as string;
    };
    // Published at once, signing only once every instance has had two looks at the store.
    assert.deepEqual((await kids()).sort(), [oldKid, rotated.kid].sort());
    assert.equal(await kidOfNewToken(), oldKid);
    assert.deepEqual([app.keys.statusOf(rotated), app.keys.signingKey().kid], ['next', oldKid]);
    app.clock.advance(app.keys.activationDelayMs - 1);
    assert.equal(await kidOfNewToken(), oldKid);
    app.clock.advance(1);
    // New tokens are signed with the new key; the old token still works.
    assert.equal(await kidOfNewToken(), rotated.kid);
    assert.equal(app.keys.statusOf(rotated), 'current');
    assert.equal(app.keys.statusOf(app.keys.all().find((k) => k.kid === oldKid)!), 'retired');
    const me = (t: string) => app.server.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${t}` } });
    assert.equal((await me(before)).statusCode, 200);
    // Past the access-token lifetime (+ the 60 s margin) the old key leaves JWKS.
    app.clock.advance((app.config.accessTokenTtl + 61) * 1000);
    await app.keys.refresh();
    assert.deepEqual(await kids(), [rotated.kid]);
  });
});

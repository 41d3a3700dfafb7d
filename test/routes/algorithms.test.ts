import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createTestApp, form } from '../helpers/app.js';

const CASES = [
  { alg: 'ES256', env: {} },
  { alg: 'EdDSA', env: { GATEHOUSE_JWT_ALG: 'EdDSA' } },
  { alg: 'RS256', env: { GATEHOUSE_JWT_ALG: 'RS256' } },
  { alg: 'HS256', env: { GATEHOUSE_JWT_ALG: 'HS256', GATEHOUSE_JWT_SECRET: 'an HS256 secret of at least 32 bytes' } },
] as const;

describe('signing algorithms', () => {
  for (const { alg, env } of CASES) {
    it(`${alg}: issues tokens that open /users/me and that jose verifies`, async () => {
      const app = await createTestApp(env);
      try {
        await app.services.users.create({ username: 'johndoe', password: 'correct horse' });
        const res = await app.server.inject({ method: 'POST', url: '/token', ...form({ username: 'johndoe', password: 'correct horse' }) });
        assert.equal(res.statusCode, 200);
        const token = res.json().access_token as string;
        const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as { alg: string; kid: string };
        assert.equal(header.alg, alg);
        const me = await app.server.inject({ url: '/users/me', headers: { authorization: `Bearer ${token}` } });
        assert.equal(me.statusCode, 200);

        const jwks = (await app.server.inject('/.well-known/jwks.json')).json() as { keys: Record<string, unknown>[] };
        if (alg === 'HS256') {
          assert.deepEqual(jwks.keys, [], 'a shared secret is never published');
          const { payload } = await jwtVerify(token, new TextEncoder().encode(env.GATEHOUSE_JWT_SECRET), {
            algorithms: ['HS256'],
            issuer: app.config.issuer,
            typ: 'at+jwt',
          });
          assert.equal(payload.preferred_username, 'johndoe');
        } else {
          assert.equal(jwks.keys.length, 1);
          const [jwk] = jwks.keys;
          assert.equal(jwk?.['alg'], alg);
          assert.equal(jwk?.['use'], 'sig');
          assert.equal(jwk?.['kid'], header.kid);
          for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(jwk?.[privateMember], undefined);
          const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as never), {
            algorithms: [alg],
            issuer: app.config.issuer,
            audience: app.config.issuer,
            typ: 'at+jwt',
          });
          assert.equal(payload.preferred_username, 'johndoe');
        }
      } finally {
        await app.close();
      }
    });
  }

  it('verification accepts only the configured algorithm', async () => {
    const es = await createTestApp();
    const ed = await createTestApp({ GATEHOUSE_JWT_ALG: 'EdDSA' });
    try {
      await ed.services.users.create({ username: 'johndoe', password: 'correct horse' });
      const token = (await ed.server.inject({ method: 'POST', url: '/token', ...form({ username: 'johndoe', password: 'correct horse' }) })).json()
        .access_token as string;
      const res = await es.server.inject({ url: '/users/me', headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.statusCode, 401);
    } finally {
      await es.close();
      await ed.close();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createVerifier, type Principal } from 'gatehouse/express';
import { claimsOf, startIssuer, type Issuer } from '../helpers/issuer.js';
import { runCli } from '../helpers/server.js';

/** Settles a verification, sync or async. */
async function principal(result: Principal | Promise<Principal>): Promise<Principal> {
  return result;
}

describe('key sources other than discovery, against a running Gatehouse', () => {
  describe('an ES256 Gatehouse', () => {
    let issuer: Issuer;
    let token: string;
    before(async () => {
      issuer = await startIssuer();
      token = await issuer.token('alice');
    });
    after(() => issuer?.close());

    it('verifies with an explicit jwksUri', async () => {
      const v = createVerifier({ issuer: issuer.url, jwksUri: `${issuer.url}/.well-known/jwks.json` });
      assert.equal((await principal(v.verify(token))).sub, claimsOf(token)['sub']);
    });

    it('verifies synchronously with a public JWK copied from its JWKS, matched by kid', async () => {
      const { keys } = (await (await fetch(`${issuer.url}/.well-known/jwks.json`)).json()) as { keys: object[] };
      const v = createVerifier({ issuer: issuer.url, publicKey: keys[0] as Record<string, string> });
      const result = v.verify(token);
      assert.ok(!(result instanceof Promise));
      assert.equal(result.username, 'alice');
      assert.equal(v.jwksFetches, 0);
    });
  });

  describe('an HS256 Gatehouse (GATEHOUSE_JWT_ALG=HS256)', () => {
    const secret = 'a shared secret of more than thirty-two bytes';
    let issuer: Issuer;
    before(async () => {
      issuer = await startIssuer({ GATEHOUSE_JWT_ALG: 'HS256', GATEHOUSE_JWT_SECRET: secret });
    });
    after(() => issuer?.close());

    it('verifies its tokens with the same secret, and refuses them with another', async () => {
      const token = await issuer.token('wendy');
      const result = createVerifier({ issuer: issuer.url, secret }).authenticate(`Bearer ${token}`, ['items:write']);
      assert.ok(!(result instanceof Promise));
      assert.equal(result.username, 'wendy');
      assert.throws(() => createVerifier({ issuer: issuer.url, secret: `${secret} (rotated)` }).verify(token), { code: 'invalid_token' });
    });
  });

  describe('introspection against Gatehouse’s /introspect', () => {
    let issuer: Issuer;
    let client: { client_id: string; client_secret: string };
    before(async () => {
      issuer = await startIssuer();
      const added = await runCli(['client', 'add', 'orders-api', '--json'], issuer.env);
      assert.equal(added.code, 0, added.stderr);
      client = JSON.parse(added.stdout) as { client_id: string; client_secret: string };
    });
    after(() => issuer?.close());

    it('accepts a live token, refuses a revoked one at once (cache off), and refuses with a wrong client secret', async () => {
      const token = await issuer.token('wendy');
      const verifier = createVerifier({
        issuer: issuer.url,
        introspection: { clientId: client.client_id, clientSecret: client.client_secret, cacheTtl: 0 },
      });
      const live = await principal(verifier.authenticate(`Bearer ${token}`, ['items:write']));
      assert.equal(live.username, 'wendy');
      assert.equal(live.clientId, 'gatehouse');
      const revoked = await fetch(`${issuer.url}/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
      assert.equal(revoked.status, 200);
      await assert.rejects(async () => principal(verifier.authenticate(`Bearer ${token}`, [])), { code: 'invalid_token' });
      const wrongSecret = createVerifier({ issuer: issuer.url, introspection: { clientId: client.client_id, clientSecret: 'not-the-secret' } });
      await assert.rejects(async () => principal(wrongSecret.authenticate(`Bearer ${await issuer.token('alice')}`, [])));
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createVerifier, type Principal } from 'gatehouse/express';
import { claimsOf, startIssuer, type Issuer } from '../helpers/issuer.js';

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
});

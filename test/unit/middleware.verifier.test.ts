import assert from 'node:assert/strict';
import { createHmac, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { BearerError, Unavailable } from '../../src/errors.js';
import { createVerifier, refusalFor, scopeList, type GuardOptions, type Principal } from '../../src/middleware/core.js';
import { JwtError } from '../../src/tokens/jwt.js';
import { ManualClock } from '../helpers/clock.js';
import { claimsFor, sign, testKey } from '../helpers/stub-issuer.js';

const ISSUER = 'https://auth.example.com';
const NOW = 1_800_000_000;
const es256 = testKey('ES256');

function verifier(options: Partial<GuardOptions> = {}, clock = new ManualClock(NOW * 1000)) {
  return createVerifier({ issuer: ISSUER, publicKey: es256.publicKey, clock, ...options });
}

/** The BearerError code a synchronous verification throws, with the reason's JwtError code. */
function refusal(run: () => unknown): { code: string; reason: string | undefined } {
  try {
    const result = run();
    assert.ok(!(result instanceof Promise), 'a static key never needs the network');
  } catch (error) {
    assert.ok(error instanceof BearerError, String(error));
    return { code: error.code, reason: error.cause instanceof JwtError ? error.cause.code : undefined };
  }
  assert.fail('the token was accepted');
}

describe('TokenVerifier with a static key', () => {
  it('verifies synchronously and hands out a frozen principal, the same object on reuse', () => {
    const v = verifier();
    const token = sign(es256, claimsFor(ISSUER, NOW));
    const principal = v.authenticate(`Bearer ${token}`, ['items:read']) as Principal;
    assert.ok(!(principal instanceof Promise));
    assert.equal(principal.sub, 'user-1');
    assert.equal(principal.username, 'alice');
    assert.deepEqual(principal.scopes, ['me', 'items:read']);
    assert.equal(principal.clientId, 'gatehouse');
    assert.equal(principal.claims.iss, ISSUER);
    assert.ok(Object.isFrozen(principal) && Object.isFrozen(principal.scopes) && Object.isFrozen(principal.claims));
    assert.throws(() => (principal.scopes as string[]).push('admin'), TypeError);
    const second = v.authenticate(`Bearer ${token}`);
    assert.notEqual(second, principal, 'verified again: a token is kept from its second verification on');
    assert.deepEqual(second, principal);
    assert.equal(v.authenticate(`Bearer ${token}`), second, 'served from the verified-token cache');
  });

  it('accepts `exp` and `nbf` within the leeway (30 s by default) and refuses them past it', () => {
    const clock = new ManualClock(NOW * 1000);
    const v = verifier({}, clock);
    const claims = claimsFor(ISSUER, NOW - 900); // exp = NOW
    const token = sign(es256, claims);
    clock.advance(29_000);
    assert.ok(v.verify(token));
    clock.advance(1_000);
    assert.deepEqual(refusal(() => v.verify(token)), { code: 'invalid_token', reason: 'ERR_JWT_EXPIRED' });

    const early = sign(es256, claimsFor(ISSUER, NOW, { nbf: NOW + 30 }));
    assert.ok(verifier().verify(early), 'nbf 30 s ahead is within the leeway');
    const tooEarly = sign(es256, claimsFor(ISSUER, NOW, { nbf: NOW + 31 }));
    assert.equal(refusal(() => verifier().verify(tooEarly)).reason, 'ERR_JWT_CLAIM_INVALID');
    assert.equal(refusal(() => verifier({ leeway: 0 }).verify(sign(es256, claimsFor(ISSUER, NOW - 900)))).reason, 'ERR_JWT_EXPIRED');
  });

  it('refuses a token from another issuer, or one issued far in the future', () => {
    assert.equal(refusal(() => verifier().verify(sign(es256, claimsFor('https://evil.example.com', NOW)))).reason, 'ERR_JWT_CLAIM_INVALID');
    assert.equal(refusal(() => verifier().verify(sign(es256, claimsFor(ISSUER, NOW + 120)))).reason, 'ERR_JWT_CLAIM_INVALID');
  });

  it('checks `aud` only when an audience is configured, accepting one of several', () => {
    const otherAud = sign(es256, claimsFor(ISSUER, NOW, { aud: 'https://other.example.com' }));
    const noAud = sign(es256, claimsFor(ISSUER, NOW, { aud: undefined }));
    const listAud = sign(es256, claimsFor(ISSUER, NOW, { aud: ['https://a.example.com', 'https://api.example.com'] }));
    assert.ok(verifier().verify(otherAud));
    assert.ok(verifier().verify(noAud));
    const strict = verifier({ audience: ['https://api.example.com', 'https://b.example.com'] });
    assert.ok(strict.verify(listAud));
    for (const token of [otherAud, noAud]) assert.equal(refusal(() => strict.verify(token)).reason, 'ERR_JWT_CLAIM_INVALID');
  });

  it('requires the claims a principal is made of', () => {
    for (const missing of ['sub', 'jti', 'client_id', 'scope', 'exp', 'iat']) {
      const token = sign(es256, claimsFor(ISSUER, NOW, { [missing]: undefined }));
      assert.equal(refusal(() => verifier().verify(token)).code, 'invalid_token', missing);
    }
  });

  it('accepts only the at+jwt type (RFC 9068), unless told otherwise', () => {
    const claims = claimsFor(ISSUER, NOW);
    assert.ok(verifier().verify(sign(es256, claims, { typ: 'application/at+jwt' })));
    const plain = sign(es256, claims, { typ: 'JWT' });
    assert.equal(refusal(() => verifier().verify(plain)).reason, 'ERR_JWT_TYP');
    assert.ok(verifier({ tokenTypes: ['JWT'] }).verify(plain));
    assert.equal(refusal(() => verifier().verify(sign(es256, claims, { typ: undefined }))).reason, 'ERR_JWT_TYP');
  });

  it('accepts only the expected algorithms, and never an HMAC made with the public key', () => {
    const claims = claimsFor(ISSUER, NOW);
    const ed = testKey('EdDSA');
    assert.ok(createVerifier({ issuer: ISSUER, publicKey: ed.jwk, clock: new ManualClock(NOW * 1000) }).verify(sign(ed, claims)));
    assert.throws(() => createVerifier({ issuer: ISSUER, publicKey: ed.jwk, algorithms: ['ES256'] }), /EdDSA key/);

    const pem = es256.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: es256.kid })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const confused = `${header}.${payload}.${createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url')}`;
    assert.equal(refusal(() => verifier({ publicKey: pem }).verify(confused)).reason, 'ERR_JWS_ALG_NOT_ALLOWED');
    const none = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${payload}.`;
    assert.equal(refusal(() => verifier().verify(none)).code, 'invalid_token');
    const noneSigned = `${Buffer.from('{"alg":"none","typ":"at+jwt","kid":"x"}').toString('base64url')}.${payload}.AAAA`;
    assert.equal(refusal(() => verifier().verify(noneSigned)).reason, 'ERR_JWS_ALG_NOT_ALLOWED');
    assert.throws(() => createVerifier({ issuer: ISSUER, publicKey: pem, algorithms: ['HS256'] }), /HS256 needs `secret`/);
  });

  it('refuses RSA keys under 2048 bits and curves other than P-256', () => {
    const { publicKey: small } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const { publicKey: p384 } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    for (const key of [small, p384]) assert.throws(() => createVerifier({ issuer: ISSUER, publicKey: key }), /P-256, Ed25519 or RSA/);
  });

  it('matches a static JWK by its kid when it has one', () => {
    const v = createVerifier({ issuer: ISSUER, publicKey: es256.jwk, clock: new ManualClock(NOW * 1000) });
    assert.ok(v.verify(sign(es256, claimsFor(ISSUER, NOW))));
    const otherKid = sign({ ...es256, kid: 'not-this-one' }, claimsFor(ISSUER, NOW));
    assert.equal(refusal(() => v.verify(otherKid)).reason, 'ERR_JWKS_NO_MATCHING_KEY');
  });

  it('verifies HS256 tokens with the shared secret, of at least 32 bytes, and nothing else', () => {
    const secret = 'a shared secret of at least thirty-two bytes';
    const hs = { kid: 'gatehouse-hs256', alg: 'HS256' as const, privateKey: createSecretKey(Buffer.from(secret)) };
    const v = createVerifier({ issuer: ISSUER, secret, clock: new ManualClock(NOW * 1000) });
    assert.ok(v.verify(sign(hs, claimsFor(ISSUER, NOW))));
    assert.equal(refusal(() => v.verify(sign(es256, claimsFor(ISSUER, NOW)))).reason, 'ERR_JWS_ALG_NOT_ALLOWED');
    const wrong = { ...hs, privateKey: createSecretKey(Buffer.from(`${secret}, but another`)) };
    assert.equal(refusal(() => v.verify(sign(wrong, claimsFor(ISSUER, NOW)))).reason, 'ERR_JWS_SIGNATURE_INVALID');
    assert.throws(() => createVerifier({ issuer: ISSUER, secret: 'too short' }), /at least 32 bytes/);
    assert.throws(() => createVerifier({ issuer: ISSUER, secret, algorithms: ['ES256'] }), /HS256 only/);
  });

  it('refuses the request before any crypto when no bearer token is sent', () => {
    for (const header of [undefined, '', 'Basic Og==', 'Bearer ', 'bearer']) {
      assert.throws(() => verifier().authenticate(header), (e: unknown) => e instanceof BearerError && e.code === 'missing_token');
    }
  });

  it('answers insufficient_scope naming every scope the route needs', () => {
    const token = sign(es256, claimsFor(ISSUER, NOW));
    assert.throws(
      () => verifier().authenticate(`Bearer ${token}`, ['items:read', 'items:write']),
      (e: unknown) => e instanceof BearerError && e.code === 'insufficient_scope' && e.scope.join(' ') === 'items:read items:write',
    );
  });

  it('still verifies each time with the cache turned off', () => {
    const v = verifier({ cacheSize: 0 });
    const token = sign(es256, claimsFor(ISSUER, NOW));
    const first = v.verify(token);
    assert.notEqual(v.verify(token), first);
  });

  it('refuses options that cannot work, saying why', () => {
    assert.throws(() => createVerifier({ issuer: 'auth.example.com', publicKey: es256.jwk }), /issuer must be/);
    assert.throws(() => createVerifier({ issuer: ISSUER, publicKey: es256.jwk, jwksUri: `${ISSUER}/jwks` }), /one key source/);
    assert.throws(() => createVerifier({ issuer: ISSUER, jwksUri: 'file:///etc/passwd' }), /jwksUri must be/);
    assert.throws(() => createVerifier({ issuer: ISSUER, leeway: -1 }), /leeway/);
    assert.throws(() => createVerifier({ issuer: ISSUER, audience: [] }), /audience/);
    assert.throws(() => createVerifier({ issuer: ISSUER, introspection: { clientId: '', clientSecret: 'x' } }), /clientId/);
    assert.throws(() => scopeList(['items read']), /not a valid scope name/);
    assert.throws(() => scopeList(['say "hi"']), /not a valid scope name/);
    assert.deepEqual(scopeList(['a', 'b', 'a']), ['a', 'b']);
  });
});

describe('refusalFor', () => {
  it('gives the RFC 6750 answers of Gatehouse’s own routes', () => {
    assert.deepEqual(refusalFor(new BearerError('missing_token', 'Not authenticated')), {
      status: 401,
      headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer', 'cache-control': 'no-store' },
      body: '{"detail":"Not authenticated"}',
    });
    assert.equal(refusalFor(new BearerError('insufficient_scope', 'Not enough permissions', ['a', 'b']))?.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="a b"');
    assert.equal(refusalFor(new Unavailable('down', 1))?.status, 503);
  });

  it('leaves any other error to the framework', () => {
    assert.equal(refusalFor(new Error('a bug')), undefined);
  });
});

import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import type { JwtAlgorithm } from '../../src/config.js';
import { encodeSegment, JwtError, signCompact, verifyCompact, verifyCompactAsync, type JwsKey } from '../../src/tokens/jwt.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer: JwsKey = { kid: 'k1', alg: 'ES256', key: privateKey };
const verifier: JwsKey = { kid: 'k1', alg: 'ES256', key: publicKey };
const options = { algorithms: ['ES256' as const], types: ['at+jwt'], keyFor: (kid: string) => (kid === 'k1' ? verifier : undefined) };

/** Signs raw JSON text, so a test can write what JSON.stringify never would. */
function signRaw(headerJson: string, payloadJson: string): string {
  const input = `${Buffer.from(headerJson).toString('base64url')}.${Buffer.from(payloadJson).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

const HEADER = '{"alg":"ES256","typ":"at+jwt","kid":"k1"}';

describe('compact JWS verification', () => {
  it('round-trips a signed payload', () => {
    const token = signCompact(encodeSegment({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' }), { sub: 'a', n: [1, { x: 2 }] }, signer);
    assert.deepEqual(verifyCompact(token, options).payload, { sub: 'a', n: [1, { x: 2 }] });
  });

  it('accepts nested objects and strings with escaped quotes, braces and commas', () => {
    const payload = '{"a":{"a":1,"b":{"a":2}},"b":"x\\",\\"c\\":{","c":[{"a":1},{"a":2}]}';
    assert.deepEqual(Object.keys(verifyCompact(signRaw(HEADER, payload), options).payload), ['a', 'b', 'c']);
  });

  it('refuses a repeated member name, also when spelled with an escape', () => {
    for (const payload of ['{"sub":"a","sub":"b"}', '{"sub":"a","\\u0073ub":"b"}', '{"a":{},"b":[],"a":1}']) {
      assert.throws(() => verifyCompact(signRaw(HEADER, payload), options), (e: unknown) => e instanceof JwtError && e.code === 'ERR_JWT_MALFORMED', payload);
    }
    assert.throws(() => verifyCompact(signRaw('{"alg":"ES256","typ":"at+jwt","kid":"k1","kid":"k1"}', '{}'), options), JwtError);
  });
});

describe('verification on the thread pool', () => {
  const pairs: Array<[JwsKey, JwsKey]> = (['ES256', 'EdDSA', 'RS256'] as const).map((alg) => {
    const pair =
      alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : alg === 'EdDSA'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('rsa', { modulusLength: 2048 });
    return [
      { kid: alg, alg, key: pair.privateKey },
      { kid: alg, alg, key: pair.publicKey },
    ];
  });
  const secret = createSecretKey(randomBytes(32));
  pairs.push([
    { kid: 'HS256', alg: 'HS256', key: secret },
    { kid: 'HS256', alg: 'HS256', key: secret },
  ]);

  /** The synchronous verifier's verdict: the payload, or the error code. */
  async function bothVerdicts(token: string, alg: JwtAlgorithm, keyFor: (kid: string) => JwsKey | undefined) {
    const opts = { algorithms: [alg], types: ['at+jwt'], keyFor };
    const verdict = async (run: () => unknown) => {
      try {
        return { payload: ((await run()) as { payload: unknown }).payload };
      } catch (error) {
        assert.ok(error instanceof JwtError, String(error));
        return { code: error.code };
      }
    };
    return [await verdict(() => verifyCompact(token, opts)), await verdict(() => verifyCompactAsync(token, opts))];
  }

  for (const [signing, verifying] of pairs) {
    it(`agrees with the synchronous verifier for ${signing.alg}`, async () => {
      const keyFor = (kid: string) => (kid === verifying.kid ? verifying : undefined);
      const token = signCompact(encodeSegment({ alg: signing.alg, typ: 'at+jwt', kid: signing.kid }), { sub: 'a' }, signing);
      const [head, body, sig] = token.split('.') as [string, string, string];
      const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
      const cases: Array<[string, string, unknown]> = [
        ['valid', token, { payload: { sub: 'a' } }],
        ['tampered payload', `${head}.${encodeSegment({ sub: 'b' })}.${sig}`, { code: 'ERR_JWS_SIGNATURE_INVALID' }],
        ['tampered signature', `${head}.${body}.${flipped}`, { code: 'ERR_JWS_SIGNATURE_INVALID' }],
        ['truncated signature', `${head}.${body}.${sig.slice(0, -4)}`, { code: 'ERR_JWS_SIGNATURE_INVALID' }],
        ['unknown kid', signCompact(encodeSegment({ alg: signing.alg, typ: 'at+jwt', kid: 'other' }), { sub: 'a' }, signing), { code: 'ERR_JWKS_NO_MATCHING_KEY' }],
        ['not a JWS', 'a.b', { code: 'ERR_JWT_MALFORMED' }],
      ];
      for (const [what, candidate, expected] of cases) {
        const [sync, pooled] = await bothVerdicts(candidate, signing.alg, keyFor);
        assert.deepEqual(sync, expected, `${what} (synchronous)`);
        assert.deepEqual(pooled, expected, `${what} (thread pool)`);
      }
    });
  }
});

describe('headers of verified tokens', () => {
  const code = (run: () => unknown): string | undefined => {
    try {
      run();
      return undefined;
    } catch (error) {
      assert.ok(error instanceof JwtError, String(error));
      return error.code;
    }
  };

  it('gives every token the same verdict once its header has been seen on a verified token', () => {
    const opts = { ...options };
    const token = signRaw(HEADER, '{"sub":"a"}');
    const [head, body, sig] = token.split('.') as [string, string, string];
    const cases: Array<[string, string, string | undefined]> = [
      ['valid', token, undefined],
      ['another valid token', signRaw(HEADER, '{"sub":"b"}'), undefined],
      ['tampered payload', `${head}.${encodeSegment({ sub: 'b' })}.${sig}`, 'ERR_JWS_SIGNATURE_INVALID'],
      ['payload not base64url', `${head}.${body}*.${sig}`, 'ERR_JWT_MALFORMED'],
      ['signature not base64url', `${head}.${body}.${sig}=`, 'ERR_JWT_MALFORMED'],
      ['payload not JSON', signRaw(HEADER, 'sub'), 'ERR_JWT_MALFORMED'],
      ['critical extension', signRaw('{"alg":"ES256","typ":"at+jwt","kid":"k1","crit":["exp"]}', '{}'), 'ERR_JWS_CRIT'],
      ['other type', signRaw('{"alg":"ES256","typ":"JWT","kid":"k1"}', '{}'), 'ERR_JWT_TYP'],
    ];
    const first = cases.map(([, candidate]) => code(() => verifyCompact(candidate, opts)));
    const again = cases.map(([, candidate]) => code(() => verifyCompact(candidate, opts)));
    assert.deepEqual(first, cases.map(([, , expected]) => expected));
    assert.deepEqual(again, first);
  });

  it('looks the key up for every token, so a retired key refuses tokens whose header was seen before', async () => {
    const keys = new Map([['k1', verifier]]);
    const opts = { algorithms: ['ES256' as const], types: ['at+jwt'], keyFor: (kid: string) => keys.get(kid) };
    const token = signRaw(HEADER, '{"sub":"a"}');
    assert.deepEqual((await verifyCompactAsync(token, opts)).payload, { sub: 'a' });
    keys.delete('k1');
    assert.equal(code(() => verifyCompact(token, opts)), 'ERR_JWKS_NO_MATCHING_KEY');
    await assert.rejects(
      async () => verifyCompactAsync(signRaw(HEADER, '{"sub":"b"}'), opts),
      (e: unknown) => e instanceof JwtError && e.code === 'ERR_JWKS_NO_MATCHING_KEY',
    );
    // A key of another algorithm under the same kid is refused too.
    keys.set('k1', { kid: 'k1', alg: 'EdDSA', key: generateKeyPairSync('ed25519').publicKey });
    assert.equal(code(() => verifyCompact(token, opts)), 'ERR_JWS_ALG_NOT_ALLOWED');
  });

  it('keeps verifying when more distinct headers verify than it holds', () => {
    const opts = { ...options };
    const headers = Array.from({ length: 80 }, (_, i) => `{"alg":"ES256","typ":"at+jwt","kid":"k1","n":${i}}`);
    for (const round of [1, 2]) {
      for (const header of headers) assert.equal(code(() => verifyCompact(signRaw(header, `{"r":${round}}`), opts)), undefined, header);
    }
    const decoded = verifyCompact(signRaw(headers[0]!, '{}'), opts);
    assert.deepEqual(decoded.header, { alg: 'ES256', typ: 'at+jwt', kid: 'k1', n: 0 });
    assert.ok(Object.isFrozen(decoded.header), 'a header shared between tokens cannot be changed by one of them');
  });
});

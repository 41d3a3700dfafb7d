import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { encodeSegment, JwtError, signCompact, verifyCompact, type JwsKey } from '../../src/tokens/jwt.js';

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

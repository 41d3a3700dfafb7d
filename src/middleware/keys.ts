import { createPublicKey, createSecretKey, KeyObject, type JsonWebKey } from 'node:crypto';
import type { JwtAlgorithm } from '../config.js';
import type { JwsKey } from '../tokens/jwt.js';

/** What a JWKS may publish: asymmetric signing keys only (a shared secret is never fetched). */
export const ASYMMETRIC_ALGORITHMS: readonly JwtAlgorithm[] = ['ES256', 'EdDSA', 'RS256'];

/** Keys under this kid match a token of any kid: a static key given without one. */
export const ANY_KID = '';

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash; Gatehouse asks for 32 bytes too. */
const MIN_SECRET_BYTES = 32;
/** RFC 7518 §3.3, NIST SP 800-131A: RSA keys shorter than this are refused. */
const MIN_RSA_BITS = 2048;

/** The algorithm a public key can verify, from the key itself; undefined when none of ours. */
function algorithmOf(key: KeyObject): JwtAlgorithm | undefined {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'ES256' : undefined;
    case 'ed25519':
      return 'EdDSA';
    case 'rsa':
      return (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS ? 'RS256' : undefined;
    default:
      return undefined;
  }
}

/**
 * One JWK of a fetched JWKS as a verification key, or undefined when it is not a usable
 * signing key for the accepted algorithms (RFC 7517 §4: wrong `use`, `key_ops`, type,
 * curve, size, no `kid`, or private material). One bad key never spoils the set.
 */
export function keyFromJwk(jwk: unknown, algorithms: readonly JwtAlgorithm[]): JwsKey | undefined {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return undefined;
  const { kid, use, key_ops: keyOps, alg, kty, d } = jwk as Record<string, unknown>;
  if (typeof kid !== 'string' || kid === '' || kid.length > 128) return undefined;
  if (use !== undefined && use !== 'sig') return undefined;
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify'))) return undefined;
  if (d !== undefined || (kty !== 'EC' && kty !== 'OKP' && kty !== 'RSA')) return undefined;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return undefined;
  }
  const keyAlg = algorithmOf(key);
  if (keyAlg === undefined || !algorithms.includes(keyAlg)) return undefined;
  if (alg !== undefined && alg !== keyAlg) return undefined;
  return { kid, alg: keyAlg, key };
}

/** A public key given in the configuration: PEM (SPKI or a certificate), JWK, or KeyObject. */
export function staticPublicKey(input: KeyObject | string | JsonWebKey, algorithms: readonly JwtAlgorithm[]): JwsKey {
  let key: KeyObject;
  let kid = ANY_KID;
  try {
    if (input instanceof KeyObject) {
      if (input.type === 'secret') throw new TypeError('publicKey is a secret key; pass it as `secret` for HS256');
      // A private key is accepted for convenience; only its public half is kept.
      key = input.type === 'private' ? createPublicKey(input) : input;
    } else if (typeof input === 'string') {
      key = createPublicKey(input);
    } else {
      if (typeof input.kid === 'string' && input.kid !== '') kid = input.kid;
      const { d: _private, ...publicPart } = input;
      key = createPublicKey({ key: publicPart, format: 'jwk' });
    }
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith('publicKey')) throw error;
    throw new TypeError('publicKey is not a readable public key (PEM, JWK or KeyObject)', { cause: error });
  }
  const alg = algorithmOf(key);
  if (alg === undefined) throw new TypeError('publicKey must be an EC P-256, Ed25519 or RSA (2048 bits or more) key');
  if (!algorithms.includes(alg)) throw new TypeError(`publicKey is an ${alg} key, which \`algorithms\` does not allow`);
  return { kid, alg, key };
}

/** The HS256 shared secret (Gatehouse's GATEHOUSE_JWT_SECRET); tokens of any kid are tried with it. */
export function sharedSecretKey(secret: string | Buffer): JwsKey {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.length < MIN_SECRET_BYTES) throw new TypeError(`secret must be at least ${MIN_SECRET_BYTES} bytes for HS256`);
  return { kid: ANY_KID, alg: 'HS256', key: createSecretKey(bytes) };
}

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { JwtAlgorithm } from '../config.js';
import type { SigningKeyRecord } from '../store/store.js';
import { ownKey } from './es256-own-key.js';
import type { JwsKey } from './jwt.js';

export type AsymmetricAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;

/** A loaded signing key: private half for signing, public half for verifying and JWKS. */
export interface LoadedKey {
  readonly kid: string;
  readonly alg: JwtAlgorithm;
  readonly signer: JwsKey;
  readonly verifier: JwsKey;
  /** Public JWK as published in JWKS; undefined for HS256. */
  readonly publicJwk: Readonly<JsonWebKey> | undefined;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

/**
 * A new key pair, as KeyObjects read back from the generated PEM. Node 20 can deadlock when a
 * KeyObject that generateKeyPairSync returned is exported to a JWK: the export holds the key's
 * lock while it allocates, and a garbage collection then finalises the spent generation job,
 * which takes the same lock (seen here once, in a test). Keys read back from PEM share no lock
 * with the job.
 */
function generatePair(alg: AsymmetricAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  const pem: string =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding, privateKeyEncoding }).privateKey
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519', { publicKeyEncoding, privateKeyEncoding }).privateKey
        : generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding, privateKeyEncoding }).privateKey;
  const privateKey = createPrivateKey(pem);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const members: Record<string, unknown> =
    jwk.kty === 'EC'
      ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
      : jwk.kty === 'OKP'
        ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x }
        : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** Makes a new key pair as a store record; the private key is encrypted when a key-encryption key is given. */
export function generateSigningKey(alg: AsymmetricAlgorithm, now: number, kek: Buffer | undefined): SigningKeyRecord {
  const { privateKey, publicKey } = generatePair(alg);
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = jwkThumbprint(jwk);
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return {
    kid,
    alg,
    publicJwk: JSON.stringify({ ...jwk, kid, alg, use: 'sig' }),
    privateKey: kek ? encryptPrivateKey(pem, kek, kid) : pem,
    createdAt: now,
    retiredAt: null,
  };
}

/** Turns a stored record into KeyObjects, once per key. */
export function loadSigningKey(record: SigningKeyRecord, kek: Buffer | undefined): LoadedKey {
  const alg = record.alg as AsymmetricAlgorithm;
  const pem = isEncryptedPrivateKey(record.privateKey) ? decryptPrivateKey(record.privateKey, kek, record.kid) : record.privateKey;
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const own = alg === 'ES256' ? ownKey(privateKey, publicKey) : undefined;
  return {
    kid: record.kid,
    alg,
    signer: { kid: record.kid, alg, key: privateKey, sign: own?.sign },
    verifier: { kid: record.kid, alg, key: publicKey, check: own?.check },
    publicJwk: JSON.parse(record.publicJwk) as JsonWebKey,
    createdAt: record.createdAt,
    retiredAt: record.retiredAt,
  };
}

/** The HS256 key from the configured secret; its kid names the secret without revealing it. */
export function secretKey(secret: Buffer): LoadedKey {
  const kid = createHmac('sha256', secret).update('gatehouse kid').digest('base64url').slice(0, 16);
  const key: JwsKey = { kid, alg: 'HS256', key: createSecretKey(secret) };
  return { kid, alg: 'HS256', signer: key, verifier: key, publicJwk: undefined, createdAt: 0, retiredAt: null };
}

const ENCRYPTED_PREFIX = 'enc:v1:';

/** Whether a stored private key is encrypted with a key-encryption key (else it is PEM). */
export function isEncryptedPrivateKey(value: string): boolean {
  return value.startsWith(ENCRYPTED_PREFIX);
}

/** AES-256-GCM with the kid as associated data, so a ciphertext cannot be moved to another key's row. */
export function encryptPrivateKey(pem: string, kek: Buffer, kid: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(kid));
  const body = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
  return `${ENCRYPTED_PREFIX}${iv.toString('base64url')}.${body.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

export function decryptPrivateKey(value: string, kek: Buffer | undefined, kid: string): string {
  if (!kek) throw new Error(`signing key ${kid} is encrypted; set GATEHOUSE_KEY_ENCRYPTION_KEY`);
  const [iv, body, tag] = value.slice(ENCRYPTED_PREFIX.length).split('.');
  if (!iv || !body || !tag) throw new Error(`signing key ${kid} is not readable`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(kid));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(`signing key ${kid} cannot be decrypted with GATEHOUSE_KEY_ENCRYPTION_KEY`);
  }
}

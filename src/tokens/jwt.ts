import { createHmac, sign as cryptoSign, timingSafeEqual, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { JwtAlgorithm } from '../config.js';

/**
 * Compact JWS (RFC 7515) sign and verify on node:crypto KeyObjects, synchronous (or, for a
 * server verifying tokens it has not seen, with the signature check on the thread pool): the
 * hot path of every protected request. Deliberately narrow: an explicit list of algorithms, no
 * embedded keys (jwk/jku/x5u/x5c are never read), no `crit` extensions, no unencoded payloads.
 */

/** A key as the signer and verifier use it: `key` is private (signing) or public (verifying); a secret for HS256. */
export interface JwsKey {
  readonly kid: string;
  readonly alg: JwtAlgorithm;
  readonly key: KeyObject;
  /** For a key whose private half this process holds: a faster check of its signatures (es256-own-key.ts). */
  readonly check?: SignatureCheck;
  /** For a private ES256 key: a faster signer of the same signatures (es256-own-key.ts). */
  readonly sign?: (signingInput: Buffer) => Buffer;
}

/** Gives crypto.verify's verdict on a key's signatures, in its own way. */
export interface SignatureCheck {
  verify(signingInput: Buffer, signature: Buffer): boolean;
  /** The same on libuv's thread pool. */
  verifyAsync(signingInput: Buffer, signature: Buffer): Promise<boolean>;
}

export type JwtErrorCode =
  | 'ERR_JWT_MALFORMED'
  | 'ERR_JWT_TOO_LARGE'
  | 'ERR_JWS_ALG_NOT_ALLOWED'
  | 'ERR_JWT_TYP'
  | 'ERR_JWKS_NO_MATCHING_KEY'
  | 'ERR_JWS_CRIT'
  | 'ERR_JWS_SIGNATURE_INVALID'
  | 'ERR_JWT_CLAIM_INVALID'
  | 'ERR_JWT_EXPIRED';

/** Why a token was refused. The message never contains the token. */
export class JwtError extends Error {
  override readonly name = 'JwtError';
  constructor(
    readonly code: JwtErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** RFC 6750 and DESIGN: a token longer than this is refused before any parsing or crypto. */
export const MAX_TOKEN_LENGTH = 8192;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface DecodedJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

export function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Signs `payload` with a pre-encoded protected header (the signer caches it per key). */
export function signCompact(encodedHeader: string, payload: object, key: JwsKey): string {
  const signingInput = `${encodedHeader}.${encodeSegment(payload)}`;
  return `${signingInput}.${signature(signingInput, key).toString('base64url')}`;
}

function signature(input: string, key: JwsKey): Buffer {
  switch (key.alg) {
    case 'ES256':
      return key.sign ? key.sign(Buffer.from(input)) : cryptoSign('sha256', Buffer.from(input), { key: key.key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return cryptoSign(null, Buffer.from(input), key.key);
    case 'RS256':
      return cryptoSign('sha256', Buffer.from(input), key.key);
    case 'HS256':
      return createHmac('sha256', key.key).update(input).digest();
  }
}

/** Exact signature lengths: a DER-encoded ECDSA signature or a truncated one never reaches OpenSSL. */
function expectedSignatureLength(key: JwsKey): number | undefined {
  switch (key.alg) {
    case 'ES256':
      return 64;
    case 'EdDSA':
      return 64;
    case 'HS256':
      return 32;
    case 'RS256':
      // RSASSA-PKCS1-v1_5 signatures are exactly the modulus length.
      return (key.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8 || undefined;
  }
}

/** crypto.verify's digest and key arguments for an asymmetric key. */
function publicKeyArgs(key: JwsKey): [digest: string | null, key: KeyObject | { key: KeyObject; dsaEncoding: 'ieee-p1363' }] {
  if (key.alg === 'ES256') return ['sha256', { key: key.key, dsaEncoding: 'ieee-p1363' }];
  return [key.alg === 'EdDSA' ? null : 'sha256', key.key];
}

function verifySignature(input: Buffer, sig: Buffer, key: JwsKey): boolean {
  const expected = expectedSignatureLength(key);
  if (expected !== undefined && sig.length !== expected) return false;
  if (key.alg === 'HS256') return timingSafeEqual(createHmac('sha256', key.key).update(input).digest(), sig);
  if (key.check) return checkOrFalse(key.check, input, sig);
  const [digest, verifyKey] = publicKeyArgs(key);
  return cryptoVerify(digest, input, verifyKey, sig);
}

/** An error inside a key's own check (OpenSSL out of memory) is a failed verification, as the pool path has it. */
function checkOrFalse(check: SignatureCheck, input: Buffer, sig: Buffer): boolean {
  try {
    return check.verify(input, sig);
  } catch {
    return false;
  }
}

/** verifySignature on the thread pool; HMAC stays inline (a few µs, less than the hop). */
function verifySignatureAsync(input: Buffer, sig: Buffer, key: JwsKey): Promise<boolean> {
  const expected = expectedSignatureLength(key);
  if (key.alg === 'HS256' || (expected !== undefined && sig.length !== expected)) return Promise.resolve(verifySignature(input, sig, key));
  if (key.check) return key.check.verifyAsync(input, sig).catch(() => false);
  const [digest, verifyKey] = publicKeyArgs(key);
  return new Promise((resolve) => {
    // An OpenSSL error (a malformed signature it cannot parse) is a failed verification.
    cryptoVerify(digest, input, verifyKey, sig, (error, valid) => resolve(error === null && valid));
  });
}

export interface VerifyOptions {
  /** The algorithms accepted; the key a kid names must be of the token's algorithm too (no key confusion). */
  readonly algorithms: readonly JwtAlgorithm[];
  /** Accepted `typ` values, compared case-insensitively without the `application/` prefix (RFC 8725 §3.11). */
  readonly types: readonly string[];
  /** Resolves a `kid` to a verification key; undefined for an unknown kid. */
  readonly keyFor: (kid: string) => JwsKey | undefined;
}

/** A compact JWS whose header passed every check, its signature not yet verified. */
interface CheckedJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly checked: CheckedHeader;
  readonly payloadPart: string;
  readonly signingInput: Buffer;
  readonly sig: Buffer;
  readonly key: JwsKey;
}

/** Verifies the compact JWS and returns its header and payload; claims are checked separately. */
export function verifyCompact(token: string, options: VerifyOptions): DecodedJws {
  const jws = checkCompact(token, options);
  if (!verifySignature(jws.signingInput, jws.sig, jws.key)) throw signatureInvalid();
  keepHeader(options, jws.checked);
  return { header: jws.header, payload: parseJsonObject(jws.payloadPart, 'payload') };
}

/**
 * verifyCompact with the signature checked on libuv's thread pool (asymmetric algorithms):
 * the event loop goes on serving requests meanwhile, so never-seen tokens are verified on
 * every core instead of one. Format and header errors still throw synchronously.
 */
export function verifyCompactAsync(token: string, options: VerifyOptions): Promise<DecodedJws> {
  const jws = checkCompact(token, options);
  return verifySignatureAsync(jws.signingInput, jws.sig, jws.key).then((valid) => {
    if (!valid) throw signatureInvalid();
    keepHeader(options, jws.checked);
    return { header: jws.header, payload: parseJsonObject(jws.payloadPart, 'payload') };
  });
}

const signatureInvalid = (): JwtError => new JwtError('ERR_JWS_SIGNATURE_INVALID', 'signature verification failed');

function checkCompact(token: string, options: VerifyOptions): CheckedJws {
  if (token.length > MAX_TOKEN_LENGTH) throw new JwtError('ERR_JWT_TOO_LARGE', 'token is too large');
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 1 || second < 0 || token.indexOf('.', second + 1) !== -1) {
    throw new JwtError('ERR_JWT_MALFORMED', 'token is not a compact JWS');
  }
  const headerPart = token.slice(0, first);
  const payloadPart = token.slice(first + 1, second);
  const signaturePart = token.slice(second + 1);
  if (!BASE64URL.test(payloadPart) || !BASE64URL.test(signaturePart)) throw segmentsNotBase64url();
  const checked = checkedHeader(headerPart, options);
  // The key is looked up for every token: a key retired since the header was first checked is gone.
  const key = options.keyFor(checked.kid);
  if (!key) throw new JwtError('ERR_JWKS_NO_MATCHING_KEY', 'no key matches the token');
  if (key.alg !== checked.alg) throw new JwtError('ERR_JWS_ALG_NOT_ALLOWED', 'algorithm not allowed');
  const signingInput = Buffer.from(token.slice(0, second));
  return { header: checked.header, checked, payloadPart, signingInput, sig: Buffer.from(signaturePart, 'base64url'), key };
}

/** A protected header that passed every check that does not depend on the keys held. */
interface CheckedHeader {
  readonly segment: string;
  readonly header: Readonly<Record<string, unknown>>;
  readonly alg: string;
  readonly kid: string;
}

/**
 * Headers of tokens whose signature verified, by their exact segment, per set of options. Every
 * token one key signs carries the same header, so a token never seen before has only its
 * payload decoded and parsed, not its header too. Only a verified token's header is kept, so a
 * flood of forged headers cannot fill it; when full (keys rotated that often) it starts over.
 */
const verifiedHeaders = new WeakMap<VerifyOptions, Map<string, CheckedHeader>>();
const MAX_VERIFIED_HEADERS = 32;

function keepHeader(options: VerifyOptions, checked: CheckedHeader): void {
  let known = verifiedHeaders.get(options);
  if (known === undefined) verifiedHeaders.set(options, (known = new Map()));
  else if (known.has(checked.segment)) return;
  else if (known.size >= MAX_VERIFIED_HEADERS) known.clear();
  known.set(checked.segment, checked);
}

/** The header segment checked, or taken as it was when a verified token carried it. */
function checkedHeader(headerPart: string, options: VerifyOptions): CheckedHeader {
  const checked = verifiedHeaders.get(options)?.get(headerPart);
  if (checked !== undefined) return checked;
  if (!BASE64URL.test(headerPart)) throw segmentsNotBase64url();
  const header = Object.freeze(parseJsonObject(headerPart, 'header'));
  const alg = header['alg'];
  if (typeof alg !== 'string' || !(options.algorithms as readonly string[]).includes(alg)) {
    throw new JwtError('ERR_JWS_ALG_NOT_ALLOWED', 'algorithm not allowed');
  }
  if ('crit' in header || 'b64' in header) throw new JwtError('ERR_JWS_CRIT', 'critical header extensions are not supported');
  const typ = header['typ'];
  if (typeof typ !== 'string' || !options.types.includes(typ.toLowerCase().replace(/^application\//, ''))) {
    throw new JwtError('ERR_JWT_TYP', 'unexpected token type');
  }
  const kid = header['kid'];
  if (typeof kid !== 'string' || kid.length > 128) throw new JwtError('ERR_JWKS_NO_MATCHING_KEY', 'no key matches the token');
  return { segment: headerPart, header, alg, kid };
}

const segmentsNotBase64url = (): JwtError => new JwtError('ERR_JWT_MALFORMED', 'token segments must be base64url');

function parseJsonObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  const json = Buffer.from(segment, 'base64url').toString('utf8');
  try {
    value = JSON.parse(json);
  } catch {
    throw new JwtError('ERR_JWT_MALFORMED', `token ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwtError('ERR_JWT_MALFORMED', `token ${what} is not a JSON object`);
  }
  // RFC 7515 §5.2 / RFC 7519 §4: member names must be unique. JSON.parse keeps the last of
  // a repeated name, which another library may not: refuse the ambiguity.
  if (topLevelNameCount(json) !== Object.keys(value).length) {
    throw new JwtError('ERR_JWT_MALFORMED', `token ${what} repeats a member name`);
  }
  return value as Record<string, unknown>;
}

/** Counts the member names of a JSON object's outermost level, by one scan of its text. */
function topLevelNameCount(json: string): number {
  let depth = 0;
  let count = 0;
  let inString = false;
  let expectName = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      if (depth === 1 && expectName) count++;
      expectName = false;
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      expectName = depth === 1 && c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c && depth === 1) {
      expectName = true;
    }
  }
  return count;
}

import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { loadAddon, type AddonLoad } from '../native/addons.js';
import type { SignatureCheck } from './jwt.js';

/**
 * ES256 checks of Gatehouse's own tokens with the private key it signs them with
 * (native/es256-own-key.c): x(((e + r·d)/s)·G) = r, the very point standard verification
 * reaches as u1·G + u2·Q, at about the cost of a signature, a third of a verify's. The same
 * verdict for every token; only a process holding the private key can use it, so tokens from
 * elsewhere (the middleware, JWKS) are verified the standard way. The same handle signs, with
 * OpenSSL's ECDSA below the provider layer node:crypto's sign goes through.
 */
interface NativeEs256 {
  loadKey(d: Buffer): object;
  verify(handle: object, signingInput: Buffer, signature: Buffer): boolean;
  /** The same on libuv's thread pool. */
  verifyAsync(handle: object, signingInput: Buffer, signature: Buffer): Promise<boolean>;
  /** The 64-byte signature (r ‖ s); missing from a build older than the signing. */
  sign?(handle: object, signingInput: Buffer): Buffer;
}

export type NativeEs256Load = AddonLoad<NativeEs256>;

export function loadNativeEs256(): NativeEs256Load {
  return loadAddon<NativeEs256>('gatehouse_es256');
}

/** How the server signs and checks its own ES256 tokens, for the start-up log. */
export function es256CheckName(load: NativeEs256Load = loadNativeEs256()): string {
  if (!load.addon) return `signed and checked by node:crypto (native/ addon ${load.reason}: npm run build:native)`;
  if (!load.addon.sign) return 'checked with the private key by the native/ addon, signed by node:crypto (an older build: npm run build:native)';
  return 'signed and checked with the private key by the native/ addon';
}

const PROBE = Buffer.from('gatehouse own-key check');

/** What the addon does with a key whose private half this process holds. */
export interface OwnKey {
  readonly check: SignatureCheck;
  /** Absent when the addon cannot sign, or its probe signature did not verify with node:crypto. */
  readonly sign?: (signingInput: Buffer) => Buffer;
}

/**
 * The addon's check of `privateKey`'s own ES256 signatures and its signer, or undefined (no
 * addon, not a P-256 key, or it disagreed with node:crypto on a signature made here, which it
 * never should): the caller then signs and verifies with node:crypto.
 */
export function ownKey(privateKey: KeyObject, publicKey: KeyObject, load: NativeEs256Load = loadNativeEs256()): OwnKey | undefined {
  const addon = load.addon;
  if (!addon || privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return undefined;
  const jwk = privateKey.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string') return undefined;
  const d = Buffer.from(jwk.d, 'base64url');
  let handle: object;
  try {
    handle = addon.loadKey(d);
  } catch {
    return undefined;
  } finally {
    d.fill(0);
  }
  const check: SignatureCheck = {
    verify: (signingInput, signature) => addon.verify(handle, signingInput, signature),
    verifyAsync: (signingInput, signature) => addon.verifyAsync(handle, signingInput, signature),
  };
  const signature = cryptoSign('sha256', PROBE, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const tampered = Buffer.from(signature);
  tampered[40]! ^= 1;
  const standard = (sig: Buffer): boolean => cryptoVerify('sha256', PROBE, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  const agrees = (sig: Buffer): boolean => check.verify(PROBE, sig) === standard(sig);
  if (!(agrees(signature) && agrees(tampered) && check.verify(PROBE, signature))) return undefined;
  const sign = addon.sign?.bind(addon, handle);
  return sign && signsWell(sign, standard) ? { check, sign } : { check };
}

/** A probe signed by the addon verifies with node:crypto, and no two signatures repeat a nonce (r). */
function signsWell(sign: (signingInput: Buffer) => Buffer, standard: (sig: Buffer) => boolean): boolean {
  try {
    const [first, second] = [sign(PROBE), sign(PROBE)];
    return first.length === 64 && standard(first) && standard(second) && !first.subarray(0, 32).equals(second.subarray(0, 32));
  } catch {
    return false;
  }
}

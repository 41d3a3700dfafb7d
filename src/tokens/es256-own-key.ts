import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { loadAddon, type AddonLoad } from '../native/addons.js';
import type { SignatureCheck } from './jwt.js';

/**
 * ES256 checks of Gatehouse's own tokens with the private key it signs them with
 * (native/es256-own-key.c): x(((e + r·d)/s)·G) = r, the very point standard verification
 * reaches as u1·G + u2·Q, at about the cost of a signature, a third of a verify's. The same
 * verdict for every token; only a process holding the private key can use it, so tokens from
 * elsewhere (the middleware, JWKS) are verified the standard way.
 */
interface NativeEs256 {
  loadKey(d: Buffer): object;
  verify(handle: object, signingInput: Buffer, signature: Buffer): boolean;
  /** The same on libuv's thread pool. */
  verifyAsync(handle: object, signingInput: Buffer, signature: Buffer): Promise<boolean>;
}

export type NativeEs256Load = AddonLoad<NativeEs256>;

export function loadNativeEs256(): NativeEs256Load {
  return loadAddon<NativeEs256>('gatehouse_es256');
}

/** How the server checks its own ES256 tokens, for the start-up log. */
export function es256CheckName(load: NativeEs256Load = loadNativeEs256()): string {
  return load.addon ? 'with the private key (native/ addon)' : `by node:crypto verify (native/ addon ${load.reason}: npm run build:native)`;
}

const PROBE = Buffer.from('gatehouse own-key check');

/**
 * A check of `privateKey`'s own ES256 signatures, or undefined (no addon, not a P-256 key, or
 * it disagreed with node:crypto on a signature made here, which it never should): the caller
 * then verifies with the public key.
 */
export function ownKeyCheck(privateKey: KeyObject, publicKey: KeyObject, load: NativeEs256Load = loadNativeEs256()): SignatureCheck | undefined {
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
  const agrees = (sig: Buffer): boolean => check.verify(PROBE, sig) === cryptoVerify('sha256', PROBE, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  return agrees(signature) && agrees(tampered) && check.verify(PROBE, signature) ? check : undefined;
}

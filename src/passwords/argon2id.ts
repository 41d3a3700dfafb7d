import { hash as argon2Hash, parseOptions, verify as argon2Verify } from '@node-rs/argon2';
import type { Algorithm, Version } from '@node-rs/argon2';
import type { Argon2Params } from '../config.js';
import type { HashScheme } from './scheme.js';

/**
 * Argon2 (RFC 9106) in the PHC string format argon2-cffi, passlib, libsodium and the
 * reference implementation write: $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>.
 * v= is absent in hashes from before version 1.3 (0x13 = 19), which means v=16.
 */
const PHC = /^\$argon2(id|i|d)\$(?:v=(\d+)\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/**
 * The largest costs a stored hash may ask for: the ranges loadConfig accepts for
 * GATEHOUSE_ARGON2_* (src/config.ts). A hash beyond them is refused rather than run, because
 * an imported (or tampered) m=4294967295 would make the native code try to allocate 4 TiB,
 * and a huge t would hold a thread-pool thread for hours.
 */
export const ARGON2_LIMITS = { memoryCost: 4_194_304, timeCost: 100, parallelism: 64 } as const;

// The package declares these as ambient const enums, which verbatimModuleSyntax cannot read
// (TS2748), so their values are spelled out; the annotations still check them against the types.
const ARGON2ID: Algorithm = 2;
const VERSION_0x13: Version = 1;

export type Argon2Type = 'argon2id' | 'argon2i' | 'argon2d';

export interface Argon2HashInfo {
  readonly type: Argon2Type;
  /** 19 (0x13) or 16 (0x10). */
  readonly version: number;
  /** KiB */
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** Parses the parameters of a PHC argon2 string; undefined if it is not one or exceeds ARGON2_LIMITS. */
export function parseArgon2Hash(storedHash: string): Argon2HashInfo | undefined {
  const match = PHC.exec(storedHash);
  if (match === null) return undefined;
  const [, variant, versionText, m, t, p] = match;
  const info: Argon2HashInfo = {
    type: `argon2${variant ?? ''}` as Argon2Type,
    version: versionText === undefined ? 16 : Number(versionText),
    memoryCost: Number(m),
    timeCost: Number(t),
    parallelism: Number(p),
  };
  if (info.version !== 16 && info.version !== 19) return undefined;
  if (
    info.memoryCost > ARGON2_LIMITS.memoryCost ||
    info.timeCost > ARGON2_LIMITS.timeCost ||
    info.parallelism > ARGON2_LIMITS.parallelism
  ) {
    return undefined;
  }
  try {
    // The library's own parser also checks what the regex cannot: m ≥ 8·p, salt and
    // output lengths, base64 that decodes. Pure parsing, so fine on the event loop.
    parseOptions(storedHash);
  } catch {
    return undefined;
  }
  return info;
}

export interface Argon2Scheme extends HashScheme {
  /** A fresh argon2id v=19 hash with the configured parameters and a random 16-byte salt. */
  hash(password: Buffer): Promise<string>;
}

export function createArgon2Scheme(params: Argon2Params): Argon2Scheme {
  // The async functions of @node-rs/argon2 return napi AsyncTask objects, i.e. they run on
  // the libuv thread pool (napi_create_async_work), never on the event loop. The *Sync
  // variants would block it and must not be used here.
  const options = {
    algorithm: ARGON2ID,
    version: VERSION_0x13,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  };
  return {
    hash: (password) => argon2Hash(password, options),

    recognises: (storedHash) => parseArgon2Hash(storedHash) !== undefined,

    async verify(storedHash, password) {
      try {
        // Parameters, type and version come from the stored string, not from `options`.
        return await argon2Verify(storedHash, password);
      } catch {
        return false;
      }
    },

    needsRehash(storedHash) {
      const info = parseArgon2Hash(storedHash);
      // Parallelism is left out on purpose: it changes the lanes, not the work an attacker must do.
      return (
        info === undefined ||
        info.type !== 'argon2id' ||
        info.version !== 19 ||
        info.memoryCost < params.memoryCost ||
        info.timeCost < params.timeCost
      );
    },
  };
}

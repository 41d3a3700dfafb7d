import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hash as argon2Hash, parseOptions, verify as argon2Verify } from '@node-rs/argon2';
import type { Algorithm, Version } from '@node-rs/argon2';
import { BoundedMemo } from '../bounded-memo.js';
import type { Argon2Params } from '../config.js';
import { loadNativeArgon2, NATIVE_LIMITS, type NativeArgon2 } from './argon2-native.js';
import type { HashScheme } from './scheme.js';

/**
 * Argon2 (RFC 9106) in the PHC string format argon2-cffi, passlib, libsodium and the
 * reference implementation write: $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>.
 * v= is absent in hashes from before version 1.3 (0x13 = 19), which means v=16.
 */
const PHC = /^\$argon2(id|i|d)\$(?:v=(\d+)\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

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
  /** Base64 without padding, as in the string. */
  readonly salt: string;
  readonly hash: string;
}

/**
 * The last strings parsed and what they gave: a login reads its user's hash three times
 * (recognise, verify, needsRehash). With caches swept by the hashes around it, three parses
 * took about 90 µs on a 2-core VM, three lookups here 15. Bounded in entries and in length
 * (PHC argon2 strings are about 100 characters).
 */
const parsed = new BoundedMemo<Argon2HashInfo | undefined>(256, 512);

/** Parses the parameters of a PHC argon2 string; undefined if it is not one or exceeds ARGON2_LIMITS. */
export function parseArgon2Hash(storedHash: string): Argon2HashInfo | undefined {
  return parsed.get(storedHash, () => parse(storedHash));
}

function parse(storedHash: string): Argon2HashInfo | undefined {
  const match = PHC.exec(storedHash);
  if (match === null) return undefined;
  const [, variant, versionText, m, t, p, salt = '', hash = ''] = match;
  const info: Argon2HashInfo = {
    type: `argon2${variant ?? ''}` as Argon2Type,
    version: versionText === undefined ? 16 : Number(versionText),
    memoryCost: Number(m),
    timeCost: Number(t),
    parallelism: Number(p),
    salt,
    hash,
  };
  Object.freeze(info); // shared by every caller that parses the same string
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

/**
 * After this long without a hash, the native addon's working memory goes back to the system.
 * Under load hashes follow each other closer than that and keep it; a server that logs
 * someone in now and then maps it afresh each time, as @node-rs/argon2 always does.
 */
const TRIM_AFTER_MS = 200;

const TYPES = { argon2d: 0, argon2i: 1, argon2id: 2 } as const;

/**
 * `native`: the project's addon (see argon2-native.ts); without it, @node-rs/argon2. Both write
 * and read the same PHC strings, so a hash made by one verifies with the other. `threads`: how
 * many threads the addon hashes on at once (setHashThreads; the setting belongs to the thread
 * that loaded the addon, so the last scheme made there sets it); unset, one per hash.
 */
export function createArgon2Scheme(params: Argon2Params, native: NativeArgon2 | undefined = loadNativeArgon2().addon, threads?: number): Argon2Scheme {
  if (native && params.instructionSet) native.useInstructionSet(params.instructionSet);
  if (native && threads !== undefined) native.setHashThreads(threads);
  const scheme = native ? nativeScheme(params, native) : nodeRsScheme(params);
  return {
    ...scheme,

    recognises: (storedHash) => parseArgon2Hash(storedHash) !== undefined,

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

type HashAndVerify = Pick<Argon2Scheme, 'hash' | 'verify'>;

function nodeRsScheme(params: Argon2Params): HashAndVerify {
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
    async verify(storedHash, password) {
      try {
        // Parameters, type and version come from the stored string, not from `options`.
        return await argon2Verify(storedHash, password);
      } catch {
        return false;
      }
    },
  };
}

function nativeScheme(params: Argon2Params, native: NativeArgon2): HashAndVerify {
  const { memoryCost: m, timeCost: t, parallelism: p } = params;
  const fallback = nodeRsScheme(params);
  // The addon keeps each finished hash's memory for the next; once logins stop for a while,
  // it is given back, so an idle server does not hold 19 MiB per hash it once ran at once.
  let running = 0;
  let trimTimer: NodeJS.Timeout | undefined;
  const run = async (work: () => Promise<Buffer>): Promise<Buffer> => {
    running++;
    if (trimTimer) {
      clearTimeout(trimTimer);
      trimTimer = undefined;
    }
    try {
      return await work();
    } finally {
      if (--running === 0) trimTimer = setTimeout(() => native.trim(), TRIM_AFTER_MS).unref();
    }
  };

  return {
    async hash(password) {
      const salt = randomBytes(16);
      const raw = await run(() => native.hashRaw(password, salt, t, m, p, TYPES.argon2id, 19, 32));
      return `$argon2id$v=19$m=${m},t=${t},p=${p}$${phcBase64(salt)}$${phcBase64(raw)}`;
    },
    async verify(storedHash, password) {
      const info = parseArgon2Hash(storedHash);
      if (info === undefined) return false;
      const salt = Buffer.from(info.salt, 'base64');
      const expected = Buffer.from(info.hash, 'base64');
      // Lengths argon2 allows but the addon does not take (no known writer makes them).
      if (salt.length > NATIVE_LIMITS.saltBytes || expected.length > NATIVE_LIMITS.hashBytes) return fallback.verify(storedHash, password);
      try {
        const raw = await run(() =>
          native.hashRaw(password, salt, info.timeCost, info.memoryCost, info.parallelism, TYPES[info.type], info.version === 16 ? 16 : 19, expected.length),
        );
        return timingSafeEqual(raw, expected);
      } catch {
        return false;
      }
    },
  };
}

/** PHC strings carry standard base64 without its padding. */
function phcBase64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

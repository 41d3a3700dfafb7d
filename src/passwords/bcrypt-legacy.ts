import { createHash, createHmac } from 'node:crypto';
import type { HashScheme } from './scheme.js';

/**
 * Verify-only support for hashes imported from older systems. Gatehouse never writes these:
 * every one that verifies is flagged needsRehash so the login replaces it with argon2id.
 */

/** bcrypt reads at most 72 bytes of key (Provos & Mazières 1999, "A Future-Adaptable Password Scheme"). */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;

/**
 * Highest cost accepted from a stored hash. Each step doubles the work (cost 12 ≈ 0.25 s,
 * 16 ≈ 4 s on one core); a stored cost-31 hash would hold a thread-pool thread for days
 * at every login attempt, so anything above this is treated as unrecognised.
 */
export const BCRYPT_MAX_COST = 16;

const BCRYPT_MIN_COST = 4;

/**
 * $2a$, $2b$ (OpenBSD's 2014 fix for keys over 255 bytes) and $2y$ (PHP's name for fixed
 * crypt_blowfish) compute the same hash for the ≤ 72-byte keys accepted here.
 * $2x$ (crypt_blowfish's buggy 8-bit variant) is deliberately not recognised.
 */
const BCRYPT = /^\$(2[aby])\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

/**
 * passlib's bcrypt_sha256 (passlib/handlers/bcrypt.py, 1.7.4, `_v2_hash_re` / `_v1_hash_re`):
 *   v2 (passlib ≥ 1.7.3): $bcrypt-sha256$v=2,t=2b,r=12$<salt22>$<digest31>
 *   v1:                   $bcrypt-sha256$2b,12$<salt22>$<digest31>   (t may be 2a)
 * passlib refuses zero-padded rounds, hence [1-9]\d?.
 */
const BCRYPT_SHA256_V2 = /^\$bcrypt-sha256\$v=2,t=(2b),r=([1-9]\d?)\$([./A-Za-z0-9]{22})\$([./A-Za-z0-9]{31})$/;
const BCRYPT_SHA256_V1 = /^\$bcrypt-sha256\$(2[ab]),([1-9]\d?)\$([./A-Za-z0-9]{22})\$([./A-Za-z0-9]{31})$/;

/**
 * The last of the 22 salt characters carries 2 unused bits; passlib (`final_salt_chars`)
 * refuses v2 salts where they are set because bcrypt implementations disagree about them.
 */
const CLEAN_FINAL_SALT_CHAR = /[.Oeu]$/;

/** Stand-in key for refused passwords, so the refusal costs one bcrypt run like a real check. */
const REFUSED_STAND_IN = Buffer.from('gatehouse: password refused before bcrypt', 'utf8');

function costOk(cost: number): boolean {
  return cost >= BCRYPT_MIN_COST && cost <= BCRYPT_MAX_COST;
}

// Loaded on the first bcrypt check: only servers that imported bcrypt hashes need it, and
// only until those users have logged in once.
let bcryptModule: Promise<typeof import('bcrypt')> | undefined;

async function runBcrypt(key: Buffer, bcryptHash: string): Promise<boolean> {
  const bcrypt = await (bcryptModule ??= import('bcrypt'));
  try {
    // bcrypt's async compare is a napi AsyncWorker: it runs on the libuv thread pool.
    // It knows $2a$/$2b$ only; $2y$ is the same algorithm under PHP's name.
    return await bcrypt.compare(key, bcryptHash.replace(/^\$2y\$/, '$2b$'));
  } catch {
    return false;
  }
}

export const bcryptScheme: HashScheme = {
  recognises(storedHash) {
    const match = BCRYPT.exec(storedHash);
    return match !== null && costOk(Number(match[2]));
  },

  async verify(storedHash, password) {
    // Over 72 bytes bcrypt would silently compare only a prefix: two passwords sharing their
    // first 72 bytes would both log in. NUL ends the key in C implementations (and passlib
    // refuses it: NullPasswordError), so no legitimate bcrypt hash was made from one.
    // Refuse both without matching, after the same amount of bcrypt work.
    if (password.length > BCRYPT_MAX_PASSWORD_BYTES || password.includes(0)) {
      await runBcrypt(REFUSED_STAND_IN, storedHash);
      return false;
    }
    return runBcrypt(password, storedHash);
  },

  needsRehash: () => true,
};

interface Sha256Parts {
  readonly version: 1 | 2;
  readonly ident: string;
  readonly cost: number;
  readonly salt: string;
  readonly digest: string;
}

function parseBcryptSha256(storedHash: string): Sha256Parts | undefined {
  const v2 = BCRYPT_SHA256_V2.exec(storedHash);
  const match = v2 ?? BCRYPT_SHA256_V1.exec(storedHash);
  if (match === null) return undefined;
  const [, ident, rounds, salt, digest] = match;
  if (ident === undefined || salt === undefined || digest === undefined) return undefined;
  const cost = Number(rounds);
  if (!costOk(cost)) return undefined;
  if (v2 !== null && !CLEAN_FINAL_SALT_CHAR.test(salt)) return undefined;
  return { version: v2 === null ? 1 : 2, ident, cost, salt, digest };
}

export const bcryptSha256Scheme: HashScheme = {
  recognises: (storedHash) => parseBcryptSha256(storedHash) !== undefined,

  async verify(storedHash, password) {
    const parts = parseBcryptSha256(storedHash);
    if (parts === undefined) return false;
    // passlib bcrypt_sha256._calc_checksum: the key is base64 (standard alphabet, "=" padding)
    // of HMAC-SHA256(key = the 22 salt characters as ASCII, msg = UTF-8 password) for v2,
    // of plain SHA-256(password) for v1. 44 ASCII bytes: no NUL, under bcrypt's 72, so no
    // length limit applies to the password itself.
    const digest =
      parts.version === 2
        ? createHmac('sha256', Buffer.from(parts.salt, 'ascii')).update(password).digest()
        : createHash('sha256').update(password).digest();
    const key = Buffer.from(digest.toString('base64'), 'ascii');
    const inner = `$${parts.ident}$${String(parts.cost).padStart(2, '0')}$${parts.salt}${parts.digest}`;
    return runBcrypt(key, inner);
  },

  needsRehash: () => true,
};

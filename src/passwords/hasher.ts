import type { Argon2Params } from '../config.js';
import { PolicyViolation } from '../errors.js';
import { createArgon2Scheme } from './argon2id.js';
import { HashQueue } from './hash-queue.js';
import { bcryptScheme, bcryptSha256Scheme } from './bcrypt-legacy.js';
import { createDummyVerifier } from './dummy.js';
import { passwordBytes } from './normalise.js';
import type { HashScheme } from './scheme.js';

export { normalisePassword } from './normalise.js';

export interface PasswordCheck {
  readonly ok: boolean;
  readonly needsRehash: boolean;
}

export interface PasswordHasher {
  /** argon2id with the configured parameters, over the NFC form of the password. */
  hash(password: string): Promise<string>;
  /**
   * A malformed or unknown hash, or input that is not a password, gives ok:false. Rejects only
   * with Unavailable when too many hashes are waiting already (load shedding).
   */
  verify(storedHash: string, password: string): Promise<PasswordCheck>;
  /** The work of a real argon2id verify, for logins of unknown users (timing equality). */
  verifyDummy(password: string): Promise<void>;
  /** Whether verify understands the format (argon2 PHC, bcrypt, passlib bcrypt_sha256); used to validate imports. */
  isRecognisedHash(storedHash: string): boolean;
}

const REFUSED: PasswordCheck = Object.freeze({ ok: false, needsRehash: false });
const EMPTY = Buffer.alloc(0);

export function createPasswordHasher(params: Argon2Params, queue: HashQueue = new HashQueue()): PasswordHasher {
  // One thread per core the queue hashes on: the hashes beyond those wait in the addon, each
  // ready for the thread that finishes before it.
  const argon2 = createArgon2Scheme(params, undefined, queue.threads);
  const schemes: readonly HashScheme[] = [argon2, bcryptScheme, bcryptSha256Scheme];
  const dummy = createDummyVerifier(argon2);

  const schemeFor = (storedHash: unknown): HashScheme | undefined =>
    typeof storedHash === 'string' ? schemes.find((scheme) => scheme.recognises(storedHash)) : undefined;

  return {
    async hash(password) {
      const bytes = passwordBytes(password);
      if (bytes === undefined) {
        // Callers run validateNewPassword first; this only guards against what could never verify.
        throw new PolicyViolation('Password must be valid Unicode text of at most 4096 bytes');
      }
      return queue.run(() => argon2.hash(bytes));
    },

    async verify(storedHash, password) {
      return queue.run(() => verifyNow(storedHash, password));
    },

    async verifyDummy(password) {
      await queue.run(() => dummy.verify(passwordBytes(password) ?? EMPTY));
    },

    isRecognisedHash: (storedHash) => schemeFor(storedHash) !== undefined,
  };

  async function verifyNow(storedHash: string, password: string): Promise<PasswordCheck> {
    try {
      const bytes = passwordBytes(password);
      const scheme = schemeFor(storedHash);
      if (bytes === undefined || scheme === undefined) {
        // Spend what a real check would, so odd input or a broken row is not told apart by timing.
        await dummy.verify(bytes ?? EMPTY);
        return REFUSED;
      }
      if (!(await scheme.verify(storedHash, bytes))) return REFUSED;
      return { ok: true, needsRehash: scheme.needsRehash(storedHash) };
    } catch {
      return REFUSED; // the schemes never reject; this keeps the promise of never throwing regardless
    }
  }
}

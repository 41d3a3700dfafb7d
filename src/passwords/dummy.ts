import { randomBytes } from 'node:crypto';

/** The two argon2 operations the dummy needs; the argon2 scheme provides them. */
export interface DummyHashOps {
  hash(password: Buffer): Promise<string>;
  verify(storedHash: string, password: Buffer): Promise<boolean>;
}

export interface DummyVerifier {
  /** One full argon2id verify whose answer is thrown away. Never rejects. */
  verify(password: Buffer): Promise<void>;
}

/**
 * Work for logins of unknown users, so the response time does not tell an attacker which
 * usernames exist (OWASP Authentication Cheat Sheet, "Authentication Responses").
 *
 * The dummy hash is made on first use, not at start-up, and only once: concurrent first
 * callers share the same promise. It uses the configured parameters so the verify costs
 * what a current user's verify costs. Its password is random and never kept.
 */
export function createDummyVerifier(ops: DummyHashOps): DummyVerifier {
  let dummyHash: Promise<string> | undefined;

  const getDummyHash = (): Promise<string> => {
    dummyHash ??= ops.hash(randomBytes(32)).catch((error: unknown) => {
      dummyHash = undefined; // let the next call try again instead of caching the failure
      throw error;
    });
    return dummyHash;
  };

  return {
    async verify(password) {
      try {
        await ops.verify(await getDummyHash(), password);
      } catch {
        // Same contract as a real verify: an internal failure is a refusal, not an exception.
      }
    },
  };
}

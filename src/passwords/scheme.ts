/**
 * What the hasher needs from each stored-hash format. Each format lives in its own module
 * (argon2id.ts, bcrypt-legacy.ts); hasher.ts picks the first scheme that recognises a hash.
 */
export interface HashScheme {
  /** Synchronous and cheap (string parsing only): whether this scheme owns and can verify the hash. */
  recognises(storedHash: string): boolean;
  /**
   * Compares on the libuv thread pool. Called only after recognises() returned true.
   * Resolves false on a mismatch or on any failure; never rejects.
   */
  verify(storedHash: string, password: Buffer): Promise<boolean>;
  /** For a hash that verified: should it be replaced by a fresh argon2id hash at this login? */
  needsRehash(storedHash: string): boolean;
}

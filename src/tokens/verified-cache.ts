/**
 * Tokens already verified, so a client reusing its token skips the signature check.
 * Bounded (oldest entries go first) and expiry-aware: an entry never outlives its token,
 * and revocation evicts by jti.
 */
export class VerifiedTokenCache<T extends { readonly jti?: unknown }> {
  private readonly entries = new Map<string, { readonly value: T; readonly expiresAt: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string, now: number): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  set(token: string, value: T, expiresAt: number): void {
    if (this.maxEntries <= 0) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { value, expiresAt });
  }

  /** Drops every entry of the given jti (revocation). */
  evictJti(jti: string): void {
    for (const [token, entry] of this.entries) if (entry.value.jti === jti) this.entries.delete(token);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

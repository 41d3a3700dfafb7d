/**
 * Tokens already verified, so a client reusing its token skips the signature check.
 * Bounded (oldest entries go first) and expiry-aware: an entry never outlives its token,
 * and revocation evicts by jti.
 */
export class VerifiedTokenCache<T extends { readonly jti?: unknown }> {
  private readonly entries = new Map<string, { readonly token: string; readonly value: T; readonly expiresAt: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string, now: number): T | undefined {
    const key = keyOf(token);
    const entry = this.entries.get(key);
    if (!entry || entry.token !== token) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
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
    this.entries.set(keyOf(token), { token, value, expiresAt });
  }

  /** Drops every entry of the given jti (revocation). */
  evictJti(jti: string): void {
    for (const [key, entry] of this.entries) if (entry.value.jti === jti) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * The map key: the token's last 64 characters, all signature. A header's token is a new
 * string each request, and hashing it for the lookup is linear in its length (a few per
 * cent of a cached request at ~600 characters). The entry keeps the whole token, and a hit
 * must equal it, so a token that only ends like a cached one is a miss.
 */
function keyOf(token: string): string {
  return token.length > 64 ? token.slice(-64) : token;
}

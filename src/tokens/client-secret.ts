import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Client ids are random, so they reveal nothing and never collide with a name. They never
 * start with "-" or "_": an id starting with "-" would read as an option on a command line
 * (`gatehouse client delete -q…`).
 */
export function newClientId(): string {
  for (;;) {
    const id = randomBytes(18).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

/** A confidential client's secret: 256 random bits, shown once; only its SHA-256 is stored. */
export function newClientSecret(): { readonly secret: string; readonly hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, hash: hashClientSecret(secret) };
}

export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** Compares digests of equal length in constant time; a malformed stored hash never matches. */
export function clientSecretMatches(secret: string, storedHash: string): boolean {
  const presented = createHash('sha256').update(secret, 'utf8').digest();
  const stored = Buffer.from(storedHash, 'base64url');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

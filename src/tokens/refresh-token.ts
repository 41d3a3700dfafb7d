import { createHash, randomBytes } from 'node:crypto';

/**
 * Refresh tokens are opaque: 256 random bits, base64url (43 characters). Only the SHA-256
 * of a token is stored, so a copy of the database opens no session; a slow hash is not
 * needed for 256-bit random values (CONVENTIONS §6).
 */
const TOKEN_BYTES = 32;
const SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function newRefreshToken(): { readonly token: string; readonly hash: string } {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Whether a string could be one of our refresh tokens; anything else is not looked up. */
export function isRefreshTokenShaped(value: string): boolean {
  return SHAPE.test(value);
}

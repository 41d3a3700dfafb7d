/**
 * Password text → the exact bytes every scheme hashes and verifies.
 *
 * Passwords are compared as NFC (RFC 8265 §4.2, the PRECIS OpaqueString profile for
 * passwords), so "ä" typed precomposed (U+00E4) and decomposed (a + U+0308) are the same
 * password. NFC rather than NFKC: compatibility folding would merge characters users chose
 * on purpose (e.g. "ﬁ" and "fi"), and it cannot be undone for hashes already stored.
 */

/**
 * Upper bound on a password's UTF-8 encoding. passlib refuses secrets over 4096 bytes
 * (passlib.exc.PasswordSizeError), and the policy's 1024 code points fit in 4 × 1024 bytes,
 * so nothing longer can match any hash Gatehouse stores or imports.
 */
export const MAX_PASSWORD_BYTES = 4096;

/** With the `u` flag a surrogate *pair* is one code point, so only unpaired halves match. */
const LONE_SURROGATE = /\p{Surrogate}/u;

export function normalisePassword(password: string): string {
  return password.normalize('NFC');
}

/** True when the string is not valid UTF-16, i.e. has no UTF-8 encoding. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * UTF-8 of the NFC form, or undefined for input that cannot be a password: not a string,
 * not valid Unicode, or longer than MAX_PASSWORD_BYTES.
 *
 * Lone surrogates are refused instead of encoded because every encoder (Buffer, N-API)
 * silently turns them into U+FFFD: "pass\uD800" would then match the hash of "pass\uFFFD".
 */
export function passwordBytes(password: unknown): Buffer | undefined {
  if (typeof password !== 'string') return undefined;
  // Keeps normalize() cheap on absurd input. Safe: a character of n UTF-8 bytes in the NFC
  // form comes from at most 2n UTF-16 units of input, so input over 2 × MAX cannot fit (4× for margin).
  if (password.length > 4 * MAX_PASSWORD_BYTES) return undefined;
  if (hasLoneSurrogate(password)) return undefined;
  const bytes = Buffer.from(normalisePassword(password), 'utf8');
  return bytes.length > MAX_PASSWORD_BYTES ? undefined : bytes;
}

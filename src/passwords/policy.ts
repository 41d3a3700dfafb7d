import { PolicyViolation } from '../errors.js';
import { hasLoneSurrogate, normalisePassword } from './normalise.js';

/**
 * Rules for passwords users choose (NIST SP 800-63B §5.1.1.2): at least 8 characters,
 * long passphrases allowed, any printable Unicode, no composition rules. Length counts
 * Unicode code points of the NFC form, as 800-63B says ("each Unicode code point ... as a
 * single character"); 1024 code points is at most 4096 UTF-8 bytes (MAX_PASSWORD_BYTES).
 */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

/** Throws PolicyViolation, with a message safe to show the user, unless the password may be set. */
export function validateNewPassword(password: string): void {
  if (typeof password !== 'string') throw new PolicyViolation('Password must be a string');
  if (hasLoneSurrogate(password)) {
    // Unpaired UTF-16 surrogates have no UTF-8 encoding; encoders would silently replace them.
    throw new PolicyViolation('Password contains invalid Unicode (an unpaired surrogate)');
  }
  if (password.includes('\0')) {
    // NUL ends the string in C code, bcrypt implementations included; refuse it outright.
    throw new PolicyViolation('Password must not contain NUL characters');
  }
  // NFC joins at most 4 code points (≤ 8 UTF-16 units) into one, so anything longer than this
  // is over the limit whatever its form; the check keeps normalisation of huge input cheap.
  if (password.length > 8 * MAX_PASSWORD_LENGTH) {
    throw new PolicyViolation(`Password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  const length = countCodePoints(normalisePassword(password));
  if (length < MIN_PASSWORD_LENGTH) {
    throw new PolicyViolation(`Password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new PolicyViolation(`Password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
}

function countCodePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

import { PolicyViolation } from '../errors.js';

export const MAX_USERNAME_LENGTH = 128;

/**
 * The one comparison form of a username: Unicode NFKC, then case-folded (upper then
 * lower approximates full case folding, so "ß" and "SS" meet), then NFKC again.
 */
export function normaliseUsername(raw: string): string {
  return raw.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

// Letters, marks and digits of any script, plus the separators people put in handles and emails.
const ALLOWED = /^[\p{L}\p{M}\p{N}._@+-]+$/u;
const SCRIPTS = ['Latin', 'Cyrillic', 'Greek', 'Armenian', 'Hebrew', 'Arabic', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Thai', 'Devanagari', 'Georgian'] as const;
const SCRIPT_PATTERNS = SCRIPTS.map((name) => new RegExp(`\\p{Script=${name}}`, 'u'));

/** Checks a new username and returns its normalised form; throws PolicyViolation saying why not. */
export function validateNewUsername(raw: string): string {
  const normalised = normaliseUsername(raw);
  const length = [...normalised].length;
  if (length < 1 || length > MAX_USERNAME_LENGTH) {
    throw new PolicyViolation(`username must be 1 to ${MAX_USERNAME_LENGTH} characters`);
  }
  // Rejects control, format (zero-width, bidi overrides) and space characters, among others.
  if (!ALLOWED.test(normalised)) {
    throw new PolicyViolation('username may contain only letters, digits and . _ @ + -');
  }
  // Mixed-script names are how look-alikes are made (Cyrillic "а" in "аdmin").
  const scripts = SCRIPT_PATTERNS.filter((pattern) => pattern.test(normalised)).length;
  const hanWithKana = /\p{Script=Han}/u.test(normalised) && /[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(normalised);
  if (scripts > 1 && !(hanWithKana && scripts === 2)) {
    throw new PolicyViolation('username must not mix letters of different scripts');
  }
  return normalised;
}

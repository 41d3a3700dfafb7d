import { InvalidScope } from '../errors.js';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

/** Parses a space-delimited scope parameter; undefined or empty means "none asked". */
export function parseScope(value: string | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(' ').filter((s) => s !== '');
  if (parts.length === 0) return undefined;
  if (parts.length > 64) throw new InvalidScope('Too many scopes requested');
  for (const part of parts) {
    if (!SCOPE_TOKEN.test(part)) throw new InvalidScope('scope contains characters RFC 6749 §3.3 does not allow');
  }
  return [...new Set(parts)];
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}

/** Scopes a user's roles may be granted, in a stable order. */
export function scopesForRoles(roles: readonly string[], roleScopes: Readonly<Record<string, readonly string[]>>): readonly string[] {
  const result = new Set<string>();
  for (const role of roles) for (const scope of roleScopes[role] ?? []) result.add(scope);
  return [...result].sort();
}

/** Granted = requested ∩ allowed; nothing requested = everything allowed (RFC 6749 §3.3 default). */
export function grantScopes(requested: readonly string[] | undefined, allowed: readonly string[]): readonly string[] {
  if (requested === undefined) return allowed;
  const allowedSet = new Set(allowed);
  return requested.filter((s) => allowedSet.has(s));
}

export function hasScopes(granted: readonly string[], required: readonly string[]): boolean {
  return required.every((s) => granted.includes(s));
}

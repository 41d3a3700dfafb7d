import { JwtError } from './jwt.js';

/** RFC 9068 access-token claims as Gatehouse issues them, plus `preferred_username` for display. */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud?: string;
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly scope: string;
  readonly client_id: string;
  readonly preferred_username?: string;
}

/** How the server and the resource-server guards judge the claims of an access token. */
export interface ClaimRules {
  readonly issuer: string;
  /**
   * Audiences accepted (any one of them must be in `aud`); `null` requires that the token
   * names no audience (the seed-compatible profile); `undefined` does not look at `aud`.
   */
  readonly audience: readonly string[] | null | undefined;
  /** Seconds of clock skew forgiven on `exp`, `nbf` and `iat`. */
  readonly leeway: number;
}

/** How far in the future `iat` may be before a token is refused (clock skew between instances). */
export const MAX_IAT_SKEW = 60;

/** Checks the claims of a verified access token; throws JwtError. `now` is epoch seconds. */
export function checkAccessTokenClaims(payload: Readonly<Record<string, unknown>>, rules: ClaimRules, now: number): AccessTokenClaims {
  const { iss, sub, aud, exp, iat, nbf, jti, scope, client_id: clientId, preferred_username: username } = payload;
  // RFC 9068 §2.2: exp is required in an access token.
  if (exp === undefined) throw new JwtError('ERR_JWT_CLAIM_INVALID', '"exp" must be a number');
  checkTimes(exp, nbf, now, rules.leeway);
  if (!isNumericDate(iat) || iat > now + MAX_IAT_SKEW + rules.leeway) {
    throw new JwtError('ERR_JWT_CLAIM_INVALID', '"iat" is missing or in the future');
  }
  checkIssuer(iss, rules.issuer);
  checkAudience(aud, rules.audience);
  if (typeof sub !== 'string' || sub === '') throw new JwtError('ERR_JWT_CLAIM_INVALID', '"sub" is missing');
  if (typeof jti !== 'string' || jti === '') throw new JwtError('ERR_JWT_CLAIM_INVALID', '"jti" is missing');
  if (typeof scope !== 'string') throw new JwtError('ERR_JWT_CLAIM_INVALID', '"scope" is missing');
  if (typeof clientId !== 'string') throw new JwtError('ERR_JWT_CLAIM_INVALID', '"client_id" is missing');
  if (username !== undefined && typeof username !== 'string') throw new JwtError('ERR_JWT_CLAIM_INVALID', 'bad "preferred_username"');
  return payload as unknown as AccessTokenClaims;
}

/** RFC 7519 §4.1.4 and §4.1.5, with `leeway` seconds of clock skew forgiven. */
export function checkTimes(exp: unknown, nbf: unknown, now: number, leeway: number): void {
  if (exp !== undefined) {
    if (!isNumericDate(exp)) throw new JwtError('ERR_JWT_CLAIM_INVALID', '"exp" must be a number');
    if (now >= exp + leeway) throw new JwtError('ERR_JWT_EXPIRED', 'token has expired');
  }
  if (nbf !== undefined && (!isNumericDate(nbf) || nbf > now + leeway)) {
    throw new JwtError('ERR_JWT_CLAIM_INVALID', 'token is not yet valid');
  }
}

export function checkIssuer(iss: unknown, expected: string): void {
  if (iss !== expected) throw new JwtError('ERR_JWT_CLAIM_INVALID', 'unexpected "iss"');
}

/** RFC 7519 §4.1.3: `aud` is one string or an array of them; one accepted audience must be there. */
export function checkAudience(aud: unknown, accepted: readonly string[] | null | undefined): void {
  if (accepted === undefined) return;
  const ok =
    accepted === null
      ? aud === undefined
      : typeof aud === 'string'
        ? accepted.includes(aud)
        : Array.isArray(aud) && aud.some((a) => typeof a === 'string' && accepted.includes(a));
  if (!ok) throw new JwtError('ERR_JWT_CLAIM_INVALID', 'unexpected "aud"');
}

export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

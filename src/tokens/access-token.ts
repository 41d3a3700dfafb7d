import { randomUUID } from 'node:crypto';
import type { JwtAlgorithm } from '../config.js';
import { encodeSegment, JwtError, signCompact, verifyCompact, type JwsKey } from './jwt.js';
import type { LoadedKey } from './signing-keys.js';
import { VerifiedTokenCache } from './verified-cache.js';

/** RFC 9068 access-token claims, plus `preferred_username` for display. */
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

export interface KeySource {
  signingKey(): LoadedKey;
  verifierFor(kid: string): JwsKey | undefined;
}

export interface AccessTokenSettings {
  readonly issuer: string;
  readonly audience: string | undefined;
  readonly algorithm: JwtAlgorithm;
  /** Seconds. */
  readonly ttl: number;
}

export interface IssueInput {
  readonly subject: string;
  readonly username: string | undefined;
  readonly scope: string;
  readonly clientId: string;
  /** Epoch seconds. */
  readonly now: number;
}

/** RFC 9068 §2.1 media type, as it appears in `typ`. */
const TOKEN_TYPE = 'at+jwt';
/** How far in the future `iat` may be before a token is refused (clock skew between instances). */
const MAX_IAT_SKEW = 60;

/** Signs and verifies Gatehouse access tokens; verification is synchronous and cached. */
export class AccessTokenCodec {
  private readonly cache: VerifiedTokenCache<AccessTokenClaims>;
  private readonly headers = new Map<string, string>();

  constructor(
    private readonly settings: AccessTokenSettings,
    private readonly keys: KeySource,
    cacheSize = 10_000,
  ) {
    this.cache = new VerifiedTokenCache(cacheSize);
  }

  issue(input: IssueInput): { token: string; claims: AccessTokenClaims } {
    const key = this.keys.signingKey();
    const claims: AccessTokenClaims = {
      iss: this.settings.issuer,
      sub: input.subject,
      ...(this.settings.audience !== undefined ? { aud: this.settings.audience } : {}),
      exp: input.now + this.settings.ttl,
      iat: input.now,
      jti: randomUUID(),
      scope: input.scope,
      client_id: input.clientId,
      ...(input.username !== undefined ? { preferred_username: input.username } : {}),
    };
    return { token: signCompact(this.headerFor(key), claims, key.signer), claims };
  }

  private headerFor(key: LoadedKey): string {
    let header = this.headers.get(key.kid);
    if (header === undefined) {
      header = encodeSegment({ alg: key.alg, typ: TOKEN_TYPE, kid: key.kid });
      this.headers.set(key.kid, header);
    }
    return header;
  }

  /** Verifies signature and claims; throws JwtError. `now` is epoch seconds. */
  verify(token: string, now: number): AccessTokenClaims {
    const cached = this.cache.get(token, now);
    if (cached) return cached;
    const { payload } = verifyCompact(token, {
      algorithm: this.settings.algorithm,
      types: [TOKEN_TYPE],
      keyFor: (kid) => this.keys.verifierFor(kid),
    });
    const claims = checkClaims(payload, this.settings, now);
    this.cache.set(token, claims, claims.exp);
    return claims;
  }

  /** A revoked token must not be served from the cache. */
  forget(jti: string): void {
    this.cache.evictJti(jti);
  }
}

function checkClaims(payload: Readonly<Record<string, unknown>>, settings: AccessTokenSettings, now: number): AccessTokenClaims {
  const { iss, sub, aud, exp, iat, nbf, jti, scope, client_id: clientId, preferred_username: username } = payload;
  if (!isNumericDate(exp)) throw new JwtError('ERR_JWT_CLAIM_INVALID', '"exp" must be a number');
  if (now >= exp) throw new JwtError('ERR_JWT_EXPIRED', 'token has expired');
  if (!isNumericDate(iat) || iat > now + MAX_IAT_SKEW) throw new JwtError('ERR_JWT_CLAIM_INVALID', '"iat" is missing or in the future');
  if (nbf !== undefined && (!isNumericDate(nbf) || nbf > now)) throw new JwtError('ERR_JWT_CLAIM_INVALID', 'token is not yet valid');
  if (iss !== settings.issuer) throw new JwtError('ERR_JWT_CLAIM_INVALID', 'unexpected "iss"');
  if (settings.audience === undefined ? aud !== undefined : !audienceIncludes(aud, settings.audience)) {
    throw new JwtError('ERR_JWT_CLAIM_INVALID', 'unexpected "aud"');
  }
  if (typeof sub !== 'string' || sub === '') throw new JwtError('ERR_JWT_CLAIM_INVALID', '"sub" is missing');
  if (typeof jti !== 'string' || jti === '') throw new JwtError('ERR_JWT_CLAIM_INVALID', '"jti" is missing');
  if (typeof scope !== 'string') throw new JwtError('ERR_JWT_CLAIM_INVALID', '"scope" is missing');
  if (typeof clientId !== 'string') throw new JwtError('ERR_JWT_CLAIM_INVALID', '"client_id" is missing');
  if (username !== undefined && typeof username !== 'string') throw new JwtError('ERR_JWT_CLAIM_INVALID', 'bad "preferred_username"');
  return payload as unknown as AccessTokenClaims;
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function audienceIncludes(aud: unknown, expected: string): boolean {
  return aud === expected || (Array.isArray(aud) && aud.includes(expected));
}

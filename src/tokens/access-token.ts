import { randomUUID } from 'node:crypto';
import type { JwtAlgorithm } from '../config.js';
import { checkAccessTokenClaims, type AccessTokenClaims, type ClaimRules } from './claims.js';
import { encodeSegment, JwtError, signCompact, verifyCompactAsync, type JwsKey, type VerifyOptions } from './jwt.js';
import type { LoadedKey } from './signing-keys.js';
import { VerifiedTokenCache, type VerifiedTokenCacheLimits } from './verified-cache.js';

export type { AccessTokenClaims } from './claims.js';

export interface KeySource {
  signingKey(): LoadedKey;
  verifierFor(kid: string): JwsKey | undefined;
  /** Looks for keys made elsewhere since the last look (rate-limited by the source); see Keyring. */
  reloadForUnknownKid?(): Promise<void>;
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
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/**
 * The verified-token cache of the server's own routes: about 4,000 of its tokens, each kept
 * from its second verification on (see VerifiedTokenCache). A hit saves one signature check
 * (~50 µs); the memory is held for good once as many tokens were seen.
 */
const CACHE_LIMITS: VerifiedTokenCacheLimits = { maxEntries: 10_000, maxBytes: 4 * 1024 * 1024 };

/** Signs and verifies Gatehouse access tokens; verified tokens are cached. */
export class AccessTokenCodec {
  private readonly cache: VerifiedTokenCache<AccessTokenClaims>;
  private readonly headers = new Map<string, string>();
  private readonly rules: ClaimRules;
  private readonly jws: VerifyOptions;

  constructor(
    private readonly settings: AccessTokenSettings,
    private readonly keys: KeySource,
    cacheLimits: VerifiedTokenCacheLimits = CACHE_LIMITS,
  ) {
    this.cache = new VerifiedTokenCache(cacheLimits);
    // The server is its own verifier: no clock skew, and a token without `aud` only in the profile that issues none.
    this.rules = { issuer: settings.issuer, audience: settings.audience === undefined ? null : [settings.audience], leeway: 0 };
    this.jws = { algorithms: [settings.algorithm], types: [ACCESS_TOKEN_TYPE], keyFor: (kid) => keys.verifierFor(kid) };
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
      header = encodeSegment({ alg: key.alg, typ: ACCESS_TOKEN_TYPE, kid: key.kid });
      this.headers.set(key.kid, header);
    }
    return header;
  }

  /**
   * Verifies signature and claims (`now` in epoch seconds). A cached token is answered at once;
   * a new one has its signature checked on the thread pool (see verifyCompactAsync), so a burst
   * of new tokens is verified on every core. A kid this instance does not know may be a key
   * another instance has just made current: the key source looks for it, and the token is
   * checked once more. Throws or rejects with JwtError.
   */
  verifyAsync(token: string, now: number): AccessTokenClaims | Promise<AccessTokenClaims> {
    const cached = this.cached(token, now);
    if (cached) return cached;
    try {
      return this.verifyNew(token, now);
    } catch (error) {
      if (!(error instanceof JwtError && error.code === 'ERR_JWKS_NO_MATCHING_KEY') || !this.keys.reloadForUnknownKid) throw error;
      return this.keys.reloadForUnknownKid().then(
        () => this.verifyNew(token, now),
        () => {
          throw error;
        },
      );
    }
  }

  /** The claims of a token verified before and not expired yet; checks no signature. */
  cached(token: string, now: number): AccessTokenClaims | undefined {
    return this.cache.get(token, now);
  }

  private verifyNew(token: string, now: number): Promise<AccessTokenClaims> {
    return verifyCompactAsync(token, this.jws).then(({ payload }) => this.remember(token, payload, now));
  }

  private remember(token: string, payload: Readonly<Record<string, unknown>>, now: number): AccessTokenClaims {
    const claims = checkAccessTokenClaims(payload, this.rules, now);
    this.cache.set(token, claims, claims.exp);
    return claims;
  }

  /** A revoked token must not be served from the cache. */
  forget(jti: string): void {
    this.cache.evictJti(jti);
  }
}

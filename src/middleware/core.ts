import type { JsonWebKey, KeyObject } from 'node:crypto';
import { epochSeconds, systemClock, type Clock } from '../clock.js';
import { JWT_ALGORITHMS, type JwtAlgorithm } from '../config.js';
import { bearerChallenge, BearerError, excerpt, INVALID_CREDENTIALS, NOT_AUTHENTICATED, NOT_ENOUGH_PERMISSIONS, Unavailable } from '../errors.js';
import { bearerToken } from '../services/bearer.js';
import { ACCESS_TOKEN_TYPE } from '../tokens/access-token.js';
import { checkAccessTokenClaims, checkAudience, checkIssuer, checkTimes, type ClaimRules } from '../tokens/claims.js';
import { JwtError, verifyCompact, type JwsKey, type VerifyOptions } from '../tokens/jwt.js';
import { hasScopes } from '../tokens/scopes.js';
import { VerifiedTokenCache } from '../tokens/verified-cache.js';
import { IssuerDiscovery, isHttpUrl } from './discovery.js';
import type { Fetch } from './http.js';
import { Introspector, type IntrospectionAnswer, type IntrospectionOptions } from './introspection.js';
import { RemoteKeySet, type GuardLog } from './jwks.js';
import { ANY_KID, ASYMMETRIC_ALGORITHMS, sharedSecretKey, staticPublicKey } from './keys.js';

export type { Clock } from '../clock.js';
export type { JwtAlgorithm } from '../config.js';
export type { Fetch } from './http.js';
export type { IntrospectionOptions } from './introspection.js';
export type { GuardLog } from './jwks.js';

/**
 * How a resource server trusts Gatehouse access tokens. Keys come from one source: the
 * issuer's JWKS (the default, found through its RFC 8414 metadata, or `jwksUri`), a static
 * `publicKey`, the HS256 `secret`, or — instead of local verification — `introspection`.
 */
export interface GuardOptions {
  /** The issuer, exactly as in the tokens' `iss` (Gatehouse's GATEHOUSE_ISSUER), e.g. `https://auth.example.com`. */
  readonly issuer: string;
  /** When set, a token must name one of these in `aud` (Gatehouse's GATEHOUSE_AUDIENCE; by default its issuer). */
  readonly audience?: string | readonly string[];
  /** The JWKS address; default: `jwks_uri` from `{issuer}/.well-known/oauth-authorization-server`. */
  readonly jwksUri?: string;
  /** A public key (PEM, JWK or KeyObject) to verify with, instead of fetching a JWKS. */
  readonly publicKey?: KeyObject | string | JsonWebKey;
  /** The shared HS256 secret (Gatehouse's GATEHOUSE_JWT_SECRET), instead of a JWKS. */
  readonly secret?: string | Buffer;
  /** Ask the issuer about each token (RFC 7662) instead of verifying it here: opaque tokens, or must-be-live checks. */
  readonly introspection?: IntrospectionOptions;
  /** Algorithms accepted; default: ES256, EdDSA and RS256 for public keys, HS256 for a secret. */
  readonly algorithms?: readonly JwtAlgorithm[];
  /** Accepted `typ` header values (RFC 8725 §3.11); default `at+jwt` (RFC 9068). */
  readonly tokenTypes?: readonly string[];
  /** Seconds of clock skew forgiven on `exp`, `nbf` and `iat`; default 30. */
  readonly leeway?: number;
  /** Verified tokens remembered so a reused token skips the signature check; 0 turns it off. Default 10 000. */
  readonly cacheSize?: number;
  /** Least seconds between two JWKS refetches caused by an unknown `kid`; default 30. */
  readonly jwksCooldown?: number;
  /** Seconds to wait for the issuer (metadata, JWKS, introspection); default 5. */
  readonly httpTimeout?: number;
  /** Time source, in milliseconds since the epoch; default the system clock. */
  readonly clock?: Clock;
  /** The `fetch` used to reach the issuer; default the global one. */
  readonly fetch?: Fetch;
  /** Where warnings go (the issuer cannot be reached, ...); pino and console both fit. */
  readonly log?: GuardLog;
}

/** The claims of a verified token (or the introspection answer): the RFC 9068 ones typed, any other as unknown. */
export interface TokenClaims {
  readonly [claim: string]: unknown;
  readonly sub: string;
  readonly iss?: string;
  readonly aud?: string | readonly string[];
  readonly exp?: number;
  readonly iat?: number;
  readonly nbf?: number;
  readonly jti?: string;
  readonly scope?: string;
  readonly client_id?: string;
  readonly preferred_username?: string;
}

/** Who the request speaks for, as a guarded handler receives it. Frozen: it is shared by every request with the same token. */
export interface Principal {
  /** The subject: Gatehouse's user id (or username in the seed profile), or the client id for client_credentials. */
  readonly sub: string;
  /** The user's name (`preferred_username`); absent for client tokens. */
  readonly username?: string;
  readonly scopes: readonly string[];
  readonly clientId: string;
  readonly claims: TokenClaims;
}

/** What a framework adapter sends for a refused request: the very answer Gatehouse's own routes give. */
export interface Refusal {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

interface CacheEntry {
  readonly jti?: string;
  /** undefined: the issuer said the token is not active (introspection answers are cached both ways). */
  readonly principal: Principal | undefined;
}

const NO_SCOPES: readonly string[] = Object.freeze([]);
const DEFAULT_LEEWAY_S = 30;
const DEFAULT_COOLDOWN_S = 30;
const DEFAULT_TIMEOUT_S = 5;
const DEFAULT_CACHE_SIZE = 10_000;
const DEFAULT_INTROSPECTION_TTL_S = 10;
const UNAVAILABLE = 'The authorization server cannot be reached; try again shortly';
/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The framework-free verifier behind `gatehouse/fastify`, `gatehouse/express` and
 * `gatehouse/hono`. `authenticate` answers synchronously whenever it can — a token
 * already verified, or one whose key is known — and returns a promise only when the
 * issuer must be asked (first JWKS fetch, an unknown kid, introspection).
 */
export class TokenVerifier {
  readonly issuer: string;
  private readonly clock: Clock;
  private readonly leeway: number;
  private readonly rules: ClaimRules;
  private readonly cache: VerifiedTokenCache<CacheEntry>;
  private readonly jws: VerifyOptions | undefined;
  private readonly remote: RemoteKeySet | undefined;
  private readonly introspector: Introspector | undefined;
  private readonly introspectionTtl: number;
  private readonly log: GuardLog | undefined;

  constructor(options: GuardOptions) {
    const issuer = options.issuer as unknown;
    if (!isHttpUrl(issuer)) throw new TypeError('issuer must be the http(s) URL of the Gatehouse server, as in its tokens’ "iss"');
    this.issuer = issuer;
    this.clock = options.clock ?? systemClock;
    this.log = options.log;
    this.leeway = numberOption('leeway', options.leeway, DEFAULT_LEEWAY_S, 0, 600);
    this.rules = { issuer, audience: audienceList(options.audience), leeway: this.leeway };
    this.cache = new VerifiedTokenCache({
      maxEntries: numberOption('cacheSize', options.cacheSize, DEFAULT_CACHE_SIZE, 0, 10_000_000),
      // An introspection answer costs a round trip to the issuer, far more than an entry: keep it at once.
      admitAtFirstSet: options.introspection !== undefined,
    });
    const timeoutMs = numberOption('httpTimeout', options.httpTimeout, DEFAULT_TIMEOUT_S, 0.1, 120) * 1000;
    const fetcher: Fetch = options.fetch ?? ((input, init) => fetch(input, init));

    const sources = (['jwksUri', 'publicKey', 'secret', 'introspection'] as const).filter((name) => options[name] !== undefined);
    if (sources.length > 1) throw new TypeError(`give one key source, not ${sources.join(' and ')}`);
    const discovery = new IssuerDiscovery(issuer, fetcher, timeoutMs);

    if (options.introspection !== undefined) {
      const { endpoint, clientId, clientSecret, cacheTtl } = options.introspection;
      if (endpoint !== undefined && !isHttpUrl(endpoint)) throw new TypeError('introspection.endpoint must be an http(s) URL');
      if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string') {
        throw new TypeError('introspection needs the clientId and clientSecret this API uses at the issuer');
      }
      const where = endpoint !== undefined ? () => Promise.resolve(endpoint) : () => discovery.metadata().then(introspectionEndpoint);
      this.introspector = new Introspector(where, clientId, clientSecret, fetcher, timeoutMs);
      this.introspectionTtl = numberOption('introspection.cacheTtl', cacheTtl, DEFAULT_INTROSPECTION_TTL_S, 0, 3600);
      return;
    }
    this.introspectionTtl = 0;

    const algorithms = algorithmList(options.algorithms, options.secret !== undefined);
    const types = (options.tokenTypes ?? [ACCESS_TOKEN_TYPE]).map((t) => t.toLowerCase().replace(/^application\//, ''));
    let keyFor: (kid: string) => JwsKey | undefined;
    const fixed =
      options.secret !== undefined
        ? sharedSecretKey(options.secret)
        : options.publicKey !== undefined
          ? staticPublicKey(options.publicKey, algorithms)
          : undefined;
    if (fixed !== undefined) {
      keyFor = (kid) => (fixed.kid === ANY_KID || fixed.kid === kid ? fixed : undefined);
    } else {
      const jwksUri = options.jwksUri;
      if (jwksUri !== undefined && !isHttpUrl(jwksUri)) throw new TypeError('jwksUri must be an http(s) URL');
      const remote = new RemoteKeySet({
        url: jwksUri !== undefined ? () => Promise.resolve(jwksUri) : () => discovery.metadata().then((m) => m.jwks_uri),
        algorithms,
        fetch: fetcher,
        clock: this.clock,
        timeoutMs,
        cooldownMs: numberOption('jwksCooldown', options.jwksCooldown, DEFAULT_COOLDOWN_S, 0, 86_400) * 1000,
        log: this.log,
        // A key the issuer withdrew must stop vouching for tokens at once.
        onKeysRemoved: () => this.cache.clear(),
      });
      this.remote = remote;
      keyFor = (kid) => remote.get(kid);
    }
    this.jws = { algorithms, types, keyFor };
  }

  /** How many times the JWKS was requested (0 for static keys and introspection). */
  get jwksFetches(): number {
    return this.remote?.fetchCount ?? 0;
  }

  /**
   * The principal for an `Authorization` header, checked against the scopes a route
   * requires. Throws (or, when the issuer must be asked first, rejects with) a BearerError
   * — or Unavailable when the issuer cannot be reached and nothing is known to verify with.
   */
  authenticate(authorization: string | undefined, requiredScopes: readonly string[] = NO_SCOPES): Principal | Promise<Principal> {
    // RFC 6750 §2.1: only the Authorization header; a token in the query or body is not looked at.
    const token = bearerToken(authorization);
    if (token === undefined) throw new BearerError('missing_token', NOT_AUTHENTICATED);
    const principal = this.verify(token);
    if (requiredScopes.length === 0) return principal;
    if (principal instanceof Promise) return principal.then((p) => checkScopes(p, requiredScopes));
    return checkScopes(principal, requiredScopes);
  }

  /** Verifies one access token (without scope requirements); see `authenticate`. */
  verify(token: string): Principal | Promise<Principal> {
    const now = epochSeconds(this.clock);
    const hit = this.cache.get(token, now);
    if (hit !== undefined) {
      if (hit.principal === undefined) throw invalidToken();
      return hit.principal;
    }
    if (this.introspector !== undefined) return this.introspect(this.introspector, token);
    try {
      return this.verifyLocally(token, now);
    } catch (error) {
      if (!(error instanceof JwtError) || error.code !== 'ERR_JWKS_NO_MATCHING_KEY' || this.remote === undefined) throw invalidToken(error);
      const remote = this.remote;
      const refetch = remote.refetchForUnknownKid();
      if (refetch !== undefined) return refetch.then(() => this.afterRefetch(remote, token));
      if (!remote.ready) throw new Unavailable(UNAVAILABLE);
      throw invalidToken(error);
    }
  }

  private afterRefetch(remote: RemoteKeySet, token: string): Principal {
    if (!remote.ready) throw new Unavailable(UNAVAILABLE);
    try {
      return this.verifyLocally(token, epochSeconds(this.clock));
    } catch (error) {
      throw invalidToken(error);
    }
  }

  private verifyLocally(token: string, now: number): Principal {
    const { payload } = verifyCompact(token, this.jws as VerifyOptions);
    const claims = checkAccessTokenClaims(payload, this.rules, now);
    const principal = toPrincipal(payload as TokenClaims, claims.client_id, claims.preferred_username);
    this.cache.set(token, { jti: claims.jti, principal }, claims.exp + this.leeway);
    return principal;
  }

  private async introspect(introspector: Introspector, token: string): Promise<Principal> {
    let answer: IntrospectionAnswer | undefined;
    try {
      answer = await introspector.introspect(token);
    } catch (error) {
      this.log?.warn({ err: error instanceof Error ? error.message : String(error) }, 'token introspection failed');
      throw new Unavailable(UNAVAILABLE);
    }
    const now = epochSeconds(this.clock);
    let principal: Principal | undefined;
    let reason: unknown;
    try {
      principal = answer === undefined ? undefined : this.fromIntrospection(answer, now);
    } catch (error) {
      reason = error;
    }
    const exp = answer?.['exp'];
    const until = Math.min(now + this.introspectionTtl, typeof exp === 'number' ? exp + this.leeway : Number.POSITIVE_INFINITY);
    const jti = answer?.['jti'];
    this.cache.set(token, { ...(typeof jti === 'string' ? { jti } : {}), principal }, until);
    if (principal === undefined) throw invalidToken(reason);
    return principal;
  }

  /** RFC 7662 §2.2: the answer of an active token, held to the same rules as a local verification. */
  private fromIntrospection(answer: IntrospectionAnswer, now: number): Principal {
    const { iss, aud, exp, nbf, sub, scope, client_id: clientId, username } = answer;
    if (iss !== undefined) checkIssuer(iss, this.issuer);
    checkAudience(aud, this.rules.audience);
    checkTimes(exp, nbf, now, this.leeway);
    if (typeof sub !== 'string' || sub === '') throw new JwtError('ERR_JWT_CLAIM_INVALID', '"sub" is missing');
    if (typeof clientId !== 'string') throw new JwtError('ERR_JWT_CLAIM_INVALID', '"client_id" is missing');
    if (scope !== undefined && typeof scope !== 'string') throw new JwtError('ERR_JWT_CLAIM_INVALID', 'bad "scope"');
    if (username !== undefined && typeof username !== 'string') throw new JwtError('ERR_JWT_CLAIM_INVALID', 'bad "username"');
    return toPrincipal(answer as TokenClaims, clientId, username);
  }
}

export function createVerifier(options: GuardOptions): TokenVerifier {
  return new TokenVerifier(options);
}

/** Checks scope names once, where a route declares them (RFC 6749 §3.3 characters). */
export function scopeList(scopes: readonly string[]): readonly string[] {
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) throw new TypeError(`${excerpt(String(scope))} is not a valid scope name (RFC 6749 §3.3)`);
  }
  return Object.freeze([...new Set(scopes)]);
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** The answer for a refused request, exactly as Gatehouse's own routes give it; undefined for any other error (a bug: let the framework log it). */
export function refusalFor(error: unknown): Refusal | undefined {
  if (error instanceof BearerError) {
    return {
      status: error.status,
      headers: { 'content-type': JSON_TYPE, 'www-authenticate': bearerChallenge(error), 'cache-control': 'no-store' },
      body: JSON.stringify({ detail: error.message }),
    };
  }
  if (error instanceof Unavailable) {
    return {
      status: error.status,
      headers: { 'content-type': JSON_TYPE, 'retry-after': String(error.retryAfter) },
      body: JSON.stringify({ error: error.code, error_description: error.message, detail: error.message }),
    };
  }
  return undefined;
}

function checkScopes(principal: Principal, required: readonly string[]): Principal {
  if (!hasScopes(principal.scopes, required)) throw new BearerError('insufficient_scope', NOT_ENOUGH_PERMISSIONS, required);
  return principal;
}

function invalidToken(reason?: unknown): BearerError {
  const error = new BearerError('invalid_token', INVALID_CREDENTIALS);
  // The reason (a JwtError with a stable code, never the token) is kept for logs and tests.
  if (reason !== undefined) error.cause = reason;
  return error;
}

function toPrincipal(claims: TokenClaims, clientId: string, username: string | undefined): Principal {
  const scope = typeof claims.scope === 'string' ? claims.scope : '';
  return Object.freeze({
    sub: claims.sub,
    username,
    scopes: Object.freeze(scope.split(' ').filter((s) => s !== '')),
    clientId,
    claims: deepFreeze(claims),
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function introspectionEndpoint(metadata: { readonly introspection_endpoint?: string }): string {
  if (metadata.introspection_endpoint === undefined) throw new Error('the issuer metadata has no introspection_endpoint; set introspection.endpoint');
  return metadata.introspection_endpoint;
}

function audienceList(audience: GuardOptions['audience']): readonly string[] | undefined {
  if (audience === undefined) return undefined;
  const list = typeof audience === 'string' ? [audience] : [...audience];
  if (list.length === 0 || list.some((a) => typeof a !== 'string' || a === '')) throw new TypeError('audience must be a non-empty string or list of them');
  return Object.freeze(list);
}

function algorithmList(algorithms: readonly JwtAlgorithm[] | undefined, symmetric: boolean): readonly JwtAlgorithm[] {
  const list = algorithms ?? (symmetric ? ['HS256'] : ASYMMETRIC_ALGORITHMS);
  if (list.length === 0 || list.some((a) => !(JWT_ALGORITHMS as readonly string[]).includes(a))) {
    throw new TypeError(`algorithms must be a non-empty list of ${JWT_ALGORITHMS.join(', ')}`);
  }
  // RFC 8725 §3.1: a verifier never lets one key act as both an HMAC secret and a public key.
  if (symmetric ? list.some((a) => a !== 'HS256') : list.includes('HS256')) {
    throw new TypeError(symmetric ? 'a secret verifies HS256 only' : 'HS256 needs `secret`; public keys verify ES256, EdDSA or RS256');
  }
  return Object.freeze([...list]);
}

function numberOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new TypeError(`${name} must be a number from ${min} to ${max}`);
  }
  return value;
}

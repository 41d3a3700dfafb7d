import { epochSeconds, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import { BearerError, INVALID_CREDENTIALS, NOT_AUTHENTICATED, NOT_ENOUGH_PERMISSIONS } from '../errors.js';
import type { AccessTokenClaims, AccessTokenCodec } from '../tokens/access-token.js';
import { hasScopes } from '../tokens/scopes.js';
import type { Store, UserRecord } from '../store/store.js';
import type { RevocationList } from './revocation-list.js';
import { normaliseUsername } from './usernames.js';

/** Who a verified access token speaks for. `user` is absent for client_credentials tokens. */
export interface Principal {
  readonly sub: string;
  readonly user: UserRecord | undefined;
  readonly scopes: readonly string[];
  readonly clientId: string;
  readonly claims: AccessTokenClaims;
}

/** RFC 6750 §2.1: `Authorization: Bearer <b64token>`; anything else counts as no token. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length < 8) return undefined;
  if (authorization.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = authorization.slice(7).trim();
  return token === '' ? undefined : token;
}

/** Turns an Authorization header into a principal, or a BearerError. */
export class BearerAuthenticator {
  constructor(
    private readonly config: Config,
    private readonly codec: AccessTokenCodec,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly revocations: RevocationList,
  ) {}

  /**
   * The principal for an Authorization header, with every scope in `requiredScopes`. A
   * cached token of a user held in memory is answered synchronously (no promise, no turn
   * of the microtask queue: most requests); otherwise a promise. Throws or rejects with
   * BearerError, or Unavailable when revocations cannot be checked.
   */
  authenticate(authorization: string | undefined, requiredScopes: readonly string[] = []): Principal | Promise<Principal> {
    const token = bearerToken(authorization);
    if (token === undefined) throw new BearerError('missing_token', NOT_AUTHENTICATED);
    const principal = this.principalFor(token);
    return principal instanceof Promise ? principal.then((p) => withScopes(p, requiredScopes)) : withScopes(principal, requiredScopes);
  }

  /**
   * Whom a live access token speaks for: signature and claims valid, not revoked, and its
   * user still there and enabled. Throws (or rejects with) BearerError invalid_token
   * otherwise, or Unavailable when revocations cannot be checked (fail closed). Synchronous
   * when nothing needs waiting for (see authenticate).
   */
  principalFor(token: string): Principal | Promise<Principal> {
    let verified: AccessTokenClaims | Promise<AccessTokenClaims>;
    try {
      verified = this.codec.verifyAsync(token, epochSeconds(this.clock));
    } catch {
      throw invalidToken();
    }
    if (verified instanceof Promise) {
      return verified.then(
        (claims) => this.unlessRevoked(claims),
        () => {
          throw invalidToken();
        },
      );
    }
    return this.unlessRevoked(verified);
  }

  // Checked after the cache too, so a revocation holds even for a token verified before it.
  private unlessRevoked(claims: AccessTokenClaims): Principal | Promise<Principal> {
    const revoked = this.revocations.isRevoked(claims.jti);
    if (revoked instanceof Promise) {
      return revoked.then((isRevoked) => {
        if (isRevoked) throw invalidToken();
        return this.withUser(claims);
      });
    }
    if (revoked) throw invalidToken();
    return this.withUser(claims);
  }

  private withUser(claims: AccessTokenClaims): Principal | Promise<Principal> {
    const scopes = claims.scope === '' ? [] : claims.scope.split(' ');
    // Client tokens carry no username and speak for no user.
    if (claims.preferred_username === undefined) return { sub: claims.sub, user: undefined, scopes, clientId: claims.client_id, claims };
    // A user token: the user must still exist and be enabled, so disabling or deleting takes effect at once.
    const users = this.store.users;
    const [by, key] = this.config.subject === 'username' ? (['username', normaliseUsername(claims.sub)] as const) : (['id', claims.sub] as const);
    const held = users.findHeld?.(by, key);
    if (held !== undefined) return userPrincipal(claims, scopes, held);
    const found = by === 'username' ? users.findByUsername(key) : users.findById(key);
    return found.then((user) => userPrincipal(claims, scopes, user));
  }
}

function userPrincipal(claims: AccessTokenClaims, scopes: readonly string[], user: UserRecord | undefined): Principal {
  if (!user || user.disabled) throw invalidToken();
  return { sub: claims.sub, user, scopes, clientId: claims.client_id, claims };
}

function withScopes(principal: Principal, requiredScopes: readonly string[]): Principal {
  if (!hasScopes(principal.scopes, requiredScopes)) throw new BearerError('insufficient_scope', NOT_ENOUGH_PERMISSIONS, requiredScopes);
  return principal;
}

const invalidToken = (): BearerError => new BearerError('invalid_token', INVALID_CREDENTIALS);

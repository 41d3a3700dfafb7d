import { epochSeconds, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import { BearerError, INVALID_CREDENTIALS, NOT_AUTHENTICATED, NOT_ENOUGH_PERMISSIONS } from '../errors.js';
import type { AccessTokenClaims, AccessTokenCodec } from '../tokens/access-token.js';
import { hasScopes, scopesForRoles } from '../tokens/scopes.js';
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
  /** Scopes each user record's roles give; a changed user is a new record (the store's rows are immutable). */
  private readonly roleScopes = new WeakMap<UserRecord, ReadonlySet<string>>();

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
   * The principal for an Authorization header when everything it takes is already in memory
   * (a token in the verified-token cache, a revocation list fresh enough, the user's row held)
   * and it has every scope in `requiredScopes`. Otherwise undefined, having started nothing:
   * authenticate then gives the answer, or the error. For answers served before the router
   * (see http/fast-path.ts).
   */
  heldPrincipal(authorization: string | undefined, requiredScopes: readonly string[]): Principal | undefined {
    const token = bearerToken(authorization);
    const claims = token === undefined ? undefined : this.codec.cached(token, epochSeconds(this.clock));
    // A client token's client is looked up in the store each time.
    if (claims?.preferred_username === undefined || this.revocations.isRevokedIfKnown(claims.jti) !== false) return undefined;
    const [by, key] = this.userKey(claims);
    const user = this.store.users.findHeld?.(by, key);
    if (user === undefined || !this.admits(claims, user)) return undefined;
    const principal = { sub: claims.sub, user, scopes: this.stillGranted(scopesOf(claims), user), clientId: claims.client_id, claims };
    return hasScopes(principal.scopes, requiredScopes) ? principal : undefined;
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
    const scopes = scopesOf(claims);
    // A client token speaks for no user, only for its client, which must still exist: deleting
    // a client ends its own tokens at once, as its users' logins are ended by revocation.
    if (claims.preferred_username === undefined) {
      return this.store.clients.findById(claims.client_id).then((client) => {
        if (client === undefined) throw invalidToken();
        return { sub: claims.sub, user: undefined, scopes, clientId: claims.client_id, claims };
      });
    }
    // A user token: the user must still exist and be enabled, so disabling or deleting takes effect at once.
    const users = this.store.users;
    const [by, key] = this.userKey(claims);
    const held = users.findHeld?.(by, key);
    if (held !== undefined) return this.userPrincipal(claims, scopes, held);
    const found = by === 'username' ? users.findByUsername(key) : users.findById(key);
    return found.then((user) => this.userPrincipal(claims, scopes, user));
  }

  private userKey(claims: AccessTokenClaims): readonly ['id' | 'username', string] {
    return this.config.subject === 'username' ? ['username', normaliseUsername(claims.sub)] : ['id', claims.sub];
  }

  private userPrincipal(claims: AccessTokenClaims, scopes: readonly string[], user: UserRecord | undefined): Principal {
    if (!user || !this.admits(claims, user)) throw invalidToken();
    return { sub: claims.sub, user, scopes: this.stillGranted(scopes, user), clientId: claims.client_id, claims };
  }

  /** Whether the token's user may still use it: enabled, and the user the token was issued to. */
  private admits(claims: AccessTokenClaims, user: UserRecord): boolean {
    // By username, a name can be taken again once its user is deleted: a token issued before
    // this user existed was another user's (ids are never reused).
    return !user.disabled && !(this.config.subject === 'username' && Math.floor(user.createdAt / 1000) > claims.iat);
  }

  /** The token's scopes that the user's roles still give: taking a role away takes its scopes from live tokens too. */
  private stillGranted(scopes: readonly string[], user: UserRecord): readonly string[] {
    let allowed = this.roleScopes.get(user);
    if (allowed === undefined) {
      allowed = new Set(scopesForRoles(user.roles, this.config.roleScopes));
      this.roleScopes.set(user, allowed);
    }
    const granted = allowed;
    return scopes.every((s) => granted.has(s)) ? scopes : scopes.filter((s) => granted.has(s));
  }
}

function scopesOf(claims: AccessTokenClaims): readonly string[] {
  return claims.scope === '' ? [] : claims.scope.split(' ');
}

function withScopes(principal: Principal, requiredScopes: readonly string[]): Principal {
  if (!hasScopes(principal.scopes, requiredScopes)) throw new BearerError('insufficient_scope', NOT_ENOUGH_PERMISSIONS, requiredScopes);
  return principal;
}

const invalidToken = (): BearerError => new BearerError('invalid_token', INVALID_CREDENTIALS);

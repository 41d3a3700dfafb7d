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

  authenticate(authorization: string | undefined, requiredScopes: readonly string[] = []): Promise<Principal> {
    const token = bearerToken(authorization);
    if (token === undefined) return Promise.reject(new BearerError('missing_token', NOT_AUTHENTICATED));
    return this.principalFor(token).then((principal) => {
      if (!hasScopes(principal.scopes, requiredScopes)) {
        throw new BearerError('insufficient_scope', NOT_ENOUGH_PERMISSIONS, requiredScopes);
      }
      return principal;
    });
  }

  /**
   * Whom a live access token speaks for: signature and claims valid, not revoked, and its
   * user still there and enabled. Throws BearerError invalid_token otherwise, or
   * Unavailable when revocations cannot be checked (fail closed).
   */
  async principalFor(token: string): Promise<Principal> {
    let claims: AccessTokenClaims;
    try {
      // Awaited only when it is a promise: a cached token costs no turn of the microtask queue.
      const verified = this.codec.verifyAsync(token, epochSeconds(this.clock));
      claims = verified instanceof Promise ? await verified : verified;
    } catch {
      throw new BearerError('invalid_token', INVALID_CREDENTIALS);
    }
    // Checked after the cache too, so a revocation holds even for a token verified before it.
    const revoked = this.revocations.isRevoked(claims.jti);
    if (revoked instanceof Promise ? await revoked : revoked) throw new BearerError('invalid_token', INVALID_CREDENTIALS);
    const scopes = claims.scope === '' ? [] : claims.scope.split(' ');
    let user: UserRecord | undefined;
    if (claims.preferred_username !== undefined) {
      // A user token (client tokens carry no username): the user must still exist and be
      // enabled, so disabling or deleting takes effect at once.
      user =
        this.config.subject === 'username'
          ? await this.store.users.findByUsername(normaliseUsername(claims.sub))
          : await this.store.users.findById(claims.sub);
      if (!user || user.disabled) throw new BearerError('invalid_token', INVALID_CREDENTIALS);
    }
    return { sub: claims.sub, user, scopes, clientId: claims.client_id, claims };
  }
}

import { epochSeconds, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { AccessTokenClaims, AccessTokenCodec } from '../tokens/access-token.js';
import { formatScope } from '../tokens/scopes.js';
import type { UserRecord } from '../store/store.js';
import type { TokenResponse } from './grants/grant.js';

/** The client a request stands for when it names none: the public client of the seed's `/token`. */
export const DEFAULT_CLIENT_ID = 'gatehouse';

/** A signed access token with what it says. */
export interface IssuedAccessToken {
  readonly token: string;
  readonly claims: AccessTokenClaims;
}

/** Builds access tokens and token responses; the one place that decides what a token says about a user. */
export class TokenIssuer {
  constructor(
    private readonly config: Config,
    private readonly codec: AccessTokenCodec,
    private readonly clock: Clock,
  ) {}

  /** `sub` is the user id, or the username in the seed-compatible profile. */
  subjectOf(user: UserRecord): string {
    return this.config.subject === 'username' ? user.username : user.id;
  }

  accessForUser(user: UserRecord, scopes: readonly string[], clientId: string): IssuedAccessToken {
    return this.codec.issue({ subject: this.subjectOf(user), username: user.username, scope: formatScope(scopes), clientId, now: epochSeconds(this.clock) });
  }

  /** client_credentials: the client is the subject (RFC 9068 §2.2). */
  accessForClient(clientId: string, scopes: readonly string[]): IssuedAccessToken {
    return this.codec.issue({ subject: clientId, username: undefined, scope: formatScope(scopes), clientId, now: epochSeconds(this.clock) });
  }

  /** RFC 6749 §5.1 answer. */
  respond(access: IssuedAccessToken, refreshToken?: string): TokenResponse {
    return {
      access_token: access.token,
      token_type: 'bearer',
      expires_in: this.config.accessTokenTtl,
      scope: access.claims.scope,
      ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
    };
  }
}

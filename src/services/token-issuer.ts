import { epochSeconds, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { AccessTokenCodec } from '../tokens/access-token.js';
import { formatScope } from '../tokens/scopes.js';
import type { UserRecord } from '../store/store.js';
import type { TokenResponse } from './grants/grant.js';

/** The client a request stands for when it names none: the public client of the seed's `/token`. */
export const DEFAULT_CLIENT_ID = 'gatehouse';

/** Builds token responses; the one place that decides what a token says about a user. */
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

  forUser(user: UserRecord, scopes: readonly string[], clientId: string, refreshToken?: string): TokenResponse {
    return this.respond(this.subjectOf(user), user.username, scopes, clientId, refreshToken);
  }

  /** client_credentials: the client is the subject (RFC 9068 §2.2). */
  forClient(clientId: string, scopes: readonly string[]): TokenResponse {
    return this.respond(clientId, undefined, scopes, clientId, undefined);
  }

  private respond(
    subject: string,
    username: string | undefined,
    scopes: readonly string[],
    clientId: string,
    refreshToken: string | undefined,
  ): TokenResponse {
    const scope = formatScope(scopes);
    const { token } = this.codec.issue({ subject, username, scope, clientId, now: epochSeconds(this.clock) });
    return {
      access_token: token,
      token_type: 'bearer',
      expires_in: this.config.accessTokenTtl,
      scope,
      ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
    };
  }
}

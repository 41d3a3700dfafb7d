import type { Config } from '../config.js';
import { BearerError, InvalidClient, InvalidRequest } from '../errors.js';
import type { Store } from '../store/store.js';
import { formatScope } from '../tokens/scopes.js';
import type { BearerAuthenticator } from './bearer.js';
import type { Client } from './clients.js';
import type { RefreshTokens } from './refresh-tokens.js';
import type { TokenIssuer } from './token-issuer.js';

/** RFC 7662 §2.2 answer; everything but `active` is left out for an inactive token. */
export interface IntrospectionResponse {
  readonly active: boolean;
  readonly scope?: string;
  readonly client_id?: string;
  readonly username?: string;
  readonly token_type?: string;
  readonly exp?: number;
  readonly iat?: number;
  readonly sub?: string;
  readonly aud?: string;
  readonly iss?: string;
  readonly jti?: string;
}

const INACTIVE: IntrospectionResponse = { active: false };

/** RFC 7662 for resource servers: which tokens are live, and what they say. */
export class Introspection {
  constructor(
    private readonly config: Config,
    private readonly bearer: BearerAuthenticator,
    private readonly refreshTokens: RefreshTokens,
    private readonly issuer: TokenIssuer,
    private readonly store: Store,
  ) {}

  async introspect(token: string | undefined, client: Client): Promise<IntrospectionResponse> {
    // §2.1: the endpoint is protected; Gatehouse admits authenticated confidential clients.
    if (!client.confidential) throw new InvalidClient('Introspection needs an authenticated confidential client');
    if (token === undefined || token === '') throw new InvalidRequest('token is required');
    // Any token_type_hint is ignored: the two kinds cannot be mistaken for each other.
    return token.includes('.') ? this.accessToken(token) : this.refreshToken(token);
  }

  private async accessToken(token: string): Promise<IntrospectionResponse> {
    let claims;
    try {
      ({ claims } = await this.bearer.principalFor(token));
    } catch (error) {
      if (error instanceof BearerError) return INACTIVE;
      throw error;
    }
    return {
      active: true,
      scope: claims.scope,
      client_id: claims.client_id,
      ...(claims.preferred_username !== undefined ? { username: claims.preferred_username } : {}),
      token_type: 'bearer',
      exp: claims.exp,
      iat: claims.iat,
      sub: claims.sub,
      ...(claims.aud !== undefined ? { aud: claims.aud } : {}),
      iss: claims.iss,
      jti: claims.jti,
    };
  }

  private async refreshToken(token: string): Promise<IntrospectionResponse> {
    const found = await this.refreshTokens.find(token);
    if (!found || found.token.usedAt !== null || !this.refreshTokens.isLive(found.family)) return INACTIVE;
    const user = await this.store.users.findById(found.family.userId);
    if (!user || user.disabled) return INACTIVE;
    return {
      active: true,
      scope: formatScope(found.family.scopes),
      client_id: found.family.clientId,
      username: user.username,
      token_type: 'refresh_token',
      exp: Math.floor(found.family.expiresAt / 1000),
      iat: Math.floor(found.token.createdAt / 1000),
      sub: this.issuer.subjectOf(user),
      iss: this.config.issuer,
    };
  }
}

import { epochSeconds, type Clock } from '../clock.js';
import { InvalidGrant, InvalidRequest } from '../errors.js';
import type { AccessTokenClaims, AccessTokenCodec } from '../tokens/access-token.js';
import type { Audit } from './audit.js';
import type { Client } from './clients.js';
import type { RefreshTokens } from './refresh-tokens.js';
import type { RevocationList } from './revocation-list.js';

/**
 * RFC 7009 token revocation. A refresh token ends its family (and the family's access
 * tokens); an access token is revoked by jti until it expires. A token that is unknown,
 * malformed or expired needs nothing done and answers 200 all the same (§2.2).
 */
export class TokenRevocation {
  constructor(
    private readonly codec: AccessTokenCodec,
    private readonly refreshTokens: RefreshTokens,
    private readonly revocations: RevocationList,
    private readonly audit: Audit,
    private readonly clock: Clock,
    /** How access tokens name their user (GATEHOUSE_SUBJECT): by id, `sub` is the user id for the audit event. */
    private readonly subject: 'id' | 'username' = 'id',
  ) {}

  async revoke(token: string | undefined, client: Client, ip: string | null): Promise<void> {
    if (token === undefined || token === '') throw new InvalidRequest('token is required');
    // Any token_type_hint is ignored (§2.1 allows it): a JWT and an opaque token cannot be mistaken.
    if (token.includes('.')) return this.revokeAccessToken(token, client, ip);
    const found = await this.refreshTokens.find(token);
    if (!found) return;
    // §2.1: a client may revoke only tokens issued to it (RFC 6749 §5.2: "issued to another client").
    if (found.family.clientId !== client.id) throw new InvalidGrant('The token was issued to another client');
    const ended = await this.refreshTokens.end({ familyId: found.family.id }, 'revoked');
    if (ended > 0) {
      void this.audit.record('token.revoked', { userId: found.family.userId, clientId: client.id, ip, detail: { type: 'refresh_token', family: found.family.id } });
    }
  }

  private async revokeAccessToken(token: string, client: Client, ip: string | null): Promise<void> {
    let claims: AccessTokenClaims;
    try {
      claims = await this.codec.verifyAsync(token, epochSeconds(this.clock));
    } catch {
      return;
    }
    if (claims.client_id !== client.id) throw new InvalidGrant('The token was issued to another client');
    await this.revocations.revoke({ jti: claims.jti, expiresAt: claims.exp * 1000 });
    const userToken = claims.preferred_username !== undefined;
    void this.audit.record('token.revoked', {
      ...(userToken ? { username: claims.preferred_username } : {}),
      ...(userToken && this.subject === 'id' ? { userId: claims.sub } : {}),
      clientId: client.id,
      ip,
      detail: { type: 'access_token', jti: claims.jti },
    });
  }
}

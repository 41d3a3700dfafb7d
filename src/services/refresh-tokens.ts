import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { InvalidGrant } from '../errors.js';
import type { AuditEvent, FamilySelector, RefreshFamily, RefreshTokenRecord, Store, UserRecord } from '../store/store.js';
import type { AccessTokenClaims } from '../tokens/access-token.js';
import { hashRefreshToken, isRefreshTokenShaped, newRefreshToken } from '../tokens/refresh-token.js';
import { uuidV7 } from '../uuid-v7.js';
import type { Audit } from './audit.js';
import type { RevocationList } from './revocation-list.js';

/** Ended families are kept this long, so a late replay is still recognised and audited as reuse. */
const KEEP_ENDED_MS = 7 * 86_400_000;

/** The one answer for every unusable refresh token: it says nothing about why. */
export const INVALID_REFRESH_TOKEN = 'Invalid refresh token';

export interface FoundRefreshToken {
  readonly token: RefreshTokenRecord;
  readonly family: RefreshFamily;
}

export interface RequestFields {
  readonly ip: string | null;
  readonly clientId: string;
}

/**
 * Refresh-token families (RFC 9700 §4.14.2): each login starts one; every use rotates the
 * token; a rotated-out token presented again ends the whole family, with the access
 * tokens issued from it.
 */
export class RefreshTokens {
  constructor(
    private readonly config: Config,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly audit: Audit,
    private readonly revocations: RevocationList,
  ) {}

  /** Starts a family for a login and returns its first token; `event`, when given, is written in the same transaction. */
  async start(user: UserRecord, clientId: string, scopes: readonly string[], access: AccessTokenClaims, event?: AuditEvent): Promise<string> {
    const now = this.clock.now();
    const { token, hash } = newRefreshToken();
    await this.store.refresh.startFamily(
      { id: uuidV7(now), userId: user.id, clientId, scopes, createdAt: now, expiresAt: now + this.config.refreshTokenTtl * 1000 },
      { hash, createdAt: now, accessJti: access.jti, accessExpiresAt: access.exp * 1000 },
      event,
    );
    if (event !== undefined) this.audit.written(event);
    return token;
  }

  async find(token: string): Promise<FoundRefreshToken | undefined> {
    if (!isRefreshTokenShaped(token)) return undefined;
    return this.store.refresh.find(hashRefreshToken(token));
  }

  /** Whether the family can still be used at `now` (not revoked, not past its absolute lifetime). */
  isLive(family: RefreshFamily): boolean {
    return family.revokedAt === null && family.expiresAt > this.clock.now();
  }

  /** Exchanges a found, unused token for the next one of its family; throws invalid_grant when it lost a race or the family ended. */
  async rotate(found: FoundRefreshToken, access: AccessTokenClaims, fields: RequestFields): Promise<string> {
    const now = this.clock.now();
    const { token, hash } = newRefreshToken();
    // The rotation's audit event is written in the rotation's own transaction: no second write per refresh.
    const event = this.audit.event('refresh.rotated', { userId: found.family.userId, clientId: fields.clientId, ip: fields.ip, detail: { family: found.family.id } });
    const next = { hash, createdAt: now, accessJti: access.jti, accessExpiresAt: access.exp * 1000 };
    const outcome = await this.store.refresh.rotate(found.token.hash, found.family.id, next, now, event);
    if (outcome === 'reused') return this.reuseDetected(found, fields);
    if (outcome === 'family_ended') throw new InvalidGrant(INVALID_REFRESH_TOKEN);
    this.audit.written(event);
    return token;
  }

  /** A rotated-out token came back: someone holds a copy. End the family, record it, refuse. */
  async reuseDetected(found: FoundRefreshToken, fields: RequestFields): Promise<never> {
    const ended = await this.end({ familyId: found.family.id }, 'reuse');
    void this.audit.record('refresh.reuse_detected', {
      userId: found.family.userId,
      clientId: fields.clientId,
      ip: fields.ip,
      detail: { family: found.family.id, family_revoked: ended > 0 },
    });
    throw new InvalidGrant(INVALID_REFRESH_TOKEN);
  }

  /** Drops families that ended (expired or revoked) more than a week ago, with their tokens. */
  prune(): Promise<number> {
    return this.store.refresh.prune(this.clock.now() - KEEP_ENDED_MS);
  }

  /** Ends families and revokes their live access tokens, here at once and on other instances soon. Returns how many ended. */
  async end(which: FamilySelector, reason: string): Promise<number> {
    const { families, revokedAccessTokens } = await this.store.refresh.revokeFamilies(which, this.clock.now(), reason);
    this.revocations.note(revokedAccessTokens);
    return families;
  }
}

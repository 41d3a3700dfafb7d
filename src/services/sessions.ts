import type { Clock } from '../clock.js';
import { NotFound } from '../errors.js';
import type { RefreshFamily, Store } from '../store/store.js';
import { actorDetail, type Actor, type Audit } from './audit.js';
import type { RefreshTokens } from './refresh-tokens.js';

/** What a user (or an admin) sees of a session: a live refresh family, never a token or its hash. */
export interface SessionView {
  readonly id: string;
  readonly client_id: string;
  readonly scope: string;
  readonly created_at: string;
  readonly expires_at: string;
}

export function toSessionView(family: RefreshFamily): SessionView {
  return {
    id: family.id,
    client_id: family.clientId,
    scope: family.scopes.join(' '),
    created_at: new Date(family.createdAt).toISOString(),
    expires_at: new Date(family.expiresAt).toISOString(),
  };
}

/** A user's sessions: each login that holds a refresh token (a live family, RFC 9700 §4.14.2). */
export class SessionService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly audit: Audit,
    private readonly refreshTokens: Pick<RefreshTokens, 'end'>,
  ) {}

  /** A page of the user's live sessions, newest first; NotFound when there is no such user. */
  async list(userId: string, page: { limit: number; offset: number }): Promise<{ readonly families: readonly RefreshFamily[]; readonly total: number }> {
    if (!(await this.store.users.findById(userId))) throw new NotFound('No such user');
    return this.store.refresh.listLive(userId, this.clock.now(), page);
  }

  /**
   * Ends one session of the user and revokes the access tokens issued from it. The store
   * ends the family only if it is this user's, so another user's id ends nothing: NotFound,
   * as for an unknown or already ended one.
   */
  async end(userId: string, familyId: string, actor: Actor): Promise<void> {
    const reason = actor.userId === userId ? 'signed_out' : 'ended_by_admin';
    const ended = await this.refreshTokens.end({ familyId, userId }, reason);
    if (ended === 0) throw new NotFound('No such session');
    void this.audit.record('session.ended', { userId, ip: actor.ip, detail: { family: familyId, reason, ...actorDetail(actor) } });
  }
}

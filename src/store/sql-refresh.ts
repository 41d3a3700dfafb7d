import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, RefreshFamiliesTable } from './schema.js';
import type {
  FamilySelector,
  NewRefreshToken,
  RefreshFamily,
  RefreshStore,
  RefreshTokenRecord,
  RevokedAccessToken,
  RotateOutcome,
} from './store.js';

/** Rows per multi-row statement: far below SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 200;

/** Thrown inside a transaction to roll it back when the family has ended meanwhile. */
class FamilyEnded extends Error {}

export class SqlRefreshStore implements RefreshStore {
  constructor(private readonly db: Kysely<Database>) {}

  async startFamily(family: Omit<RefreshFamily, 'lastUsedAt' | 'revokedAt' | 'revokedReason'>, first: NewRefreshToken): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('refresh_families')
        .values({
          id: family.id,
          user_id: family.userId,
          client_id: family.clientId,
          scope: family.scopes.join(' '),
          created_at: family.createdAt,
          expires_at: family.expiresAt,
          last_used_at: null,
          revoked_at: null,
          revoked_reason: null,
        })
        .execute();
      await trx.insertInto('refresh_tokens').values(tokenRow(family.id, first)).execute();
    });
  }

  async find(hash: string): Promise<{ token: RefreshTokenRecord; family: RefreshFamily } | undefined> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .innerJoin('refresh_families', 'refresh_families.id', 'refresh_tokens.family_id')
      .selectAll('refresh_families')
      .select(['refresh_tokens.hash', 'refresh_tokens.created_at as token_created_at', 'refresh_tokens.used_at'])
      .where('refresh_tokens.hash', '=', hash)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      token: {
        hash: row.hash,
        familyId: row.id,
        createdAt: Number(row.token_created_at),
        usedAt: row.used_at === null ? null : Number(row.used_at),
      },
      family: toFamily(row),
    };
  }

  async rotate(hash: string, familyId: string, next: NewRefreshToken, at: number): Promise<RotateOutcome> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        // The one atomic consume: of concurrent rotations exactly one finds used_at still NULL.
        const consumed = await trx
          .updateTable('refresh_tokens')
          .set({ used_at: at })
          .where('hash', '=', hash)
          .where('family_id', '=', familyId)
          .where('used_at', 'is', null)
          .executeTakeFirst();
        if (Number(consumed.numUpdatedRows) === 0) return 'reused';
        // Updating (not reading) the family row locks it on PostgreSQL, so a concurrent
        // revocation either comes first (and this rolls back) or sees the new token.
        const live = await trx
          .updateTable('refresh_families')
          .set({ last_used_at: at })
          .where('id', '=', familyId)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', at)
          .executeTakeFirst();
        if (Number(live.numUpdatedRows) === 0) throw new FamilyEnded();
        await trx.insertInto('refresh_tokens').values(tokenRow(familyId, next)).execute();
        return 'rotated' as const;
      });
    } catch (error) {
      if (error instanceof FamilyEnded) return 'family_ended';
      throw error;
    }
  }

  revokeFamilies(which: FamilySelector, at: number, reason: string): Promise<{ families: number; revokedAccessTokens: readonly RevokedAccessToken[] }> {
    return this.db.transaction().execute((trx) => revokeFamiliesIn(trx, which, at, reason));
  }

  async listLive(userId: string, at: number, page: { limit: number; offset: number }): Promise<{ families: readonly RefreshFamily[]; total: number }> {
    const base = this.db
      .selectFrom('refresh_families')
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', at);
    const [countRow, rows] = await Promise.all([
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      base.selectAll().orderBy('created_at', 'desc').orderBy('id').limit(page.limit).offset(page.offset).execute(),
    ]);
    return { families: rows.map(toFamily), total: Number(countRow.n) };
  }

  async prune(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('refresh_families')
      .where((eb) => eb.or([eb('expires_at', '<', before), eb.and([eb('revoked_at', 'is not', null), eb('revoked_at', '<', before)])]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** Revokes the selected live families and the unexpired access tokens issued from them; runs inside `trx`. */
export async function revokeFamiliesIn(
  trx: Transaction<Database>,
  which: FamilySelector,
  at: number,
  reason: string,
): Promise<{ families: number; revokedAccessTokens: readonly RevokedAccessToken[] }> {
  let update = trx.updateTable('refresh_families').set({ revoked_at: at, revoked_reason: reason }).where('revoked_at', 'is', null);
  if ('familyId' in which) {
    update = update.where('id', '=', which.familyId);
    if (which.userId !== undefined) update = update.where('user_id', '=', which.userId);
  } else if ('userId' in which) update = update.where('user_id', '=', which.userId);
  else update = update.where('client_id', '=', which.clientId);
  const ids = (await update.returning('id').execute()).map((r) => r.id);

  const revoked: RevokedAccessToken[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await trx
      .selectFrom('refresh_tokens')
      .select(['access_jti', 'access_expires_at'])
      .where('family_id', 'in', ids.slice(i, i + CHUNK))
      .where('access_jti', 'is not', null)
      .where('access_expires_at', '>', at)
      .execute();
    for (const r of rows) if (r.access_jti !== null && r.access_expires_at !== null) revoked.push({ jti: r.access_jti, expiresAt: Number(r.access_expires_at) });
  }
  for (let i = 0; i < revoked.length; i += CHUNK) {
    await trx
      .insertInto('revoked_tokens')
      .values(revoked.slice(i, i + CHUNK).map((t) => ({ jti: t.jti, expires_at: t.expiresAt, revoked_at: at })))
      .onConflict((oc) => oc.column('jti').doNothing())
      .execute();
  }
  return { families: ids.length, revokedAccessTokens: revoked };
}

function tokenRow(familyId: string, token: NewRefreshToken): Database['refresh_tokens'] {
  return {
    hash: token.hash,
    family_id: familyId,
    created_at: token.createdAt,
    used_at: null,
    access_jti: token.accessJti,
    access_expires_at: token.accessExpiresAt,
  };
}

function toFamily(row: Selectable<RefreshFamiliesTable>): RefreshFamily {
  return {
    id: row.id,
    userId: row.user_id,
    clientId: row.client_id,
    scopes: row.scope === '' ? [] : row.scope.split(' '),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    revokedReason: row.revoked_reason,
  };
}

import { CompiledQuery, SqliteAdapter, type Kysely, type Selectable, type Transaction } from 'kysely';
import { toAuditRow } from './audit-row.js';
import type { Database, RefreshFamiliesTable } from './schema.js';
import type {
  AuditEvent,
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

/** The arguments of one `rotate` call. */
interface Rotation {
  readonly hash: string;
  readonly familyId: string;
  readonly next: NewRefreshToken;
  readonly at: number;
  readonly event: AuditEvent | undefined;
}

/** A rotation waiting for the shared transaction, and how to answer it once that has committed. */
interface WaitingRotation extends Rotation {
  readonly resolve: (outcome: RotateOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/** A rotation of a shared transaction that failed on its own (rolled back to its savepoint). */
class RotationFailed {
  constructor(readonly error: unknown) {}
}

const SAVEPOINT = CompiledQuery.raw('savepoint rotation');
const RELEASE = CompiledQuery.raw('release rotation');
const ROLLBACK_TO = CompiledQuery.raw('rollback to rotation');

/**
 * A statement compiled once, with placeholder values; `bind` puts a call's values where the
 * placeholders were. A refresh grant runs these on every exchange, and Kysely's builder and
 * compiler cost more than the point queries themselves.
 */
class Prepared<R> {
  private readonly order: readonly number[];

  constructor(
    private readonly compiled: CompiledQuery<R>,
    placeholders: readonly unknown[],
  ) {
    this.order = compiled.parameters.map((p) => {
      const i = placeholders.indexOf(p);
      if (i < 0) throw new Error(`no placeholder for parameter ${String(p)} of: ${compiled.sql}`);
      return i;
    });
  }

  bind(...values: readonly unknown[]): CompiledQuery<R> {
    return { ...this.compiled, parameters: this.order.map((i) => values[i]) };
  }
}

/** Distinct stand-ins for a prepared statement's text (P) and number (N) values. */
const P = ['\u0000p0', '\u0000p1', '\u0000p2', '\u0000p3', '\u0000p4', '\u0000p5', '\u0000p6', '\u0000p7'] as const;
const N = [-1_000_001, -1_000_002, -1_000_003, -1_000_004] as const;

export class SqlRefreshStore implements RefreshStore {
  private readonly statements;
  /**
   * SQLite has one connection and one writer, so rotations run one after another anyway:
   * those that arrive in the same turn of the event loop share one transaction (one commit,
   * the pages they touch written to the WAL once), each in a savepoint of its own so that
   * each has its own outcome. On PostgreSQL each rotation keeps its own transaction on the
   * pool: a shared one would hold the row locks of unrelated families together.
   */
  private readonly sharesTransactions: boolean;
  private waiting: WaitingRotation[] = [];

  constructor(private readonly db: Kysely<Database>) {
    this.sharesTransactions = db.getExecutor().adapter instanceof SqliteAdapter;
    this.statements = {
      find: new Prepared(
        db
          .selectFrom('refresh_tokens')
          .innerJoin('refresh_families', 'refresh_families.id', 'refresh_tokens.family_id')
          .selectAll('refresh_families')
          .select(['refresh_tokens.hash', 'refresh_tokens.created_at as token_created_at', 'refresh_tokens.used_at'])
          .where('refresh_tokens.hash', '=', P[0])
          .compile(),
        [P[0]],
      ),
      // bind(at, hash, familyId)
      consume: new Prepared(
        db.updateTable('refresh_tokens').set({ used_at: N[0] }).where('hash', '=', P[1]).where('family_id', '=', P[2]).where('used_at', 'is', null).compile(),
        [N[0], P[1], P[2]],
      ),
      // bind(at, familyId)
      touchLiveFamily: new Prepared(
        db
          .updateTable('refresh_families')
          .set({ last_used_at: N[0] })
          .where('id', '=', P[1])
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', N[0])
          .compile(),
        [N[0], P[1]],
      ),
      // bind(id, userId, clientId, scope, createdAt, expiresAt); last_used_at and the revoked_* columns start NULL
      insertFamily: new Prepared(
        db
          .insertInto('refresh_families')
          .values({
            id: P[0],
            user_id: P[1],
            client_id: P[2],
            scope: P[3],
            created_at: N[0],
            expires_at: N[1],
          })
          .compile(),
        [P[0], P[1], P[2], P[3], N[0], N[1]],
      ),
      // bind(hash, familyId, createdAt, accessJti, accessExpiresAt); used_at starts NULL
      insertToken: new Prepared(
        db
          .insertInto('refresh_tokens')
          .values({ hash: P[0], family_id: P[1], created_at: N[0], access_jti: P[3], access_expires_at: N[1] })
          .compile(),
        [P[0], P[1], N[0], P[3], N[1]],
      ),
      // bind(id, at, type, userId, username, clientId, ip, detail)
      insertEvent: new Prepared(
        db
          .insertInto('audit_events')
          .values({ id: P[0], at: N[0], type: P[2], user_id: P[3], username: P[4], client_id: P[5], ip: P[6], detail: P[7] })
          .compile(),
        [P[0], N[0], P[2], P[3], P[4], P[5], P[6], P[7]],
      ),
    };
  }

  async startFamily(family: Omit<RefreshFamily, 'lastUsedAt' | 'revokedAt' | 'revokedReason'>, first: NewRefreshToken, event?: AuditEvent): Promise<void> {
    const q = this.statements;
    await this.db.transaction().execute(async (trx) => {
      await trx.executeQuery(q.insertFamily.bind(family.id, family.userId, family.clientId, family.scopes.join(' '), family.createdAt, family.expiresAt));
      await trx.executeQuery(q.insertToken.bind(first.hash, family.id, first.createdAt, first.accessJti, first.accessExpiresAt));
      if (event !== undefined) await trx.executeQuery(q.insertEvent.bind(...auditRow(event)));
    });
  }

  async find(hash: string): Promise<{ token: RefreshTokenRecord; family: RefreshFamily } | undefined> {
    const { rows } = await this.db.executeQuery(this.statements.find.bind(hash));
    const row = rows[0];
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

  rotate(hash: string, familyId: string, next: NewRefreshToken, at: number, event?: AuditEvent): Promise<RotateOutcome> {
    const rotation = { hash, familyId, next, at, event };
    if (!this.sharesTransactions) return this.rotateAlone(rotation);
    return new Promise((resolve, reject) => {
      // setImmediate: after the I/O callbacks of this turn, whose requests join the same transaction.
      if (this.waiting.push({ ...rotation, resolve, reject }) === 1) setImmediate(() => void this.rotateWaiting());
    });
  }

  private async rotateAlone(rotation: Rotation): Promise<RotateOutcome> {
    try {
      return await this.db.transaction().execute((trx) => this.rotateIn(trx, rotation));
    } catch (error) {
      if (error instanceof FamilyEnded) return 'family_ended';
      throw error;
    }
  }

  /** Runs the waiting rotations in one transaction; each is answered only once it has committed. */
  private async rotateWaiting(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    let outcomes: Array<RotateOutcome | RotationFailed>;
    try {
      outcomes = await this.db.transaction().execute(async (trx) => {
        const results: Array<RotateOutcome | RotationFailed> = [];
        for (const rotation of batch) {
          await trx.executeQuery(SAVEPOINT);
          try {
            results.push(await this.rotateIn(trx, rotation));
          } catch (error) {
            await trx.executeQuery(ROLLBACK_TO);
            results.push(error instanceof FamilyEnded ? 'family_ended' : new RotationFailed(error));
          }
          await trx.executeQuery(RELEASE);
        }
        return results;
      });
    } catch (error) {
      for (const rotation of batch) rotation.reject(error);
      return;
    }
    batch.forEach((rotation, i) => {
      const outcome = outcomes[i] ?? new RotationFailed(new Error('rotation without an outcome'));
      if (outcome instanceof RotationFailed) rotation.reject(outcome.error);
      else rotation.resolve(outcome);
    });
  }

  /** One rotation inside `trx`; throws FamilyEnded, for the caller to roll back, when the family has ended. */
  private async rotateIn(trx: Transaction<Database>, { hash, familyId, next, at, event }: Rotation): Promise<RotateOutcome> {
    const q = this.statements;
    // The one atomic consume: of concurrent rotations exactly one finds used_at still NULL.
    const consumed = await trx.executeQuery(q.consume.bind(at, hash, familyId));
    if (Number(consumed.numAffectedRows ?? 0) === 0) return 'reused';
    // Updating (not reading) the family row locks it on PostgreSQL, so a concurrent
    // revocation either comes first (and this rolls back) or sees the new token.
    const live = await trx.executeQuery(q.touchLiveFamily.bind(at, familyId));
    if (Number(live.numAffectedRows ?? 0) === 0) throw new FamilyEnded();
    await trx.executeQuery(q.insertToken.bind(next.hash, familyId, next.createdAt, next.accessJti, next.accessExpiresAt));
    if (event !== undefined) await trx.executeQuery(q.insertEvent.bind(...auditRow(event)));
    return 'rotated';
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
  } else if ('userId' in which) {
    update = update.where('user_id', '=', which.userId);
    const kept = which.keepFamilyOf === undefined ? undefined : await familyOfAccessToken(trx, which.userId, which.keepFamilyOf);
    if (kept !== undefined) update = update.where('id', '<>', kept);
  } else update = update.where('client_id', '=', which.clientId);
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

/** The user's family whose tokens were issued with the access token `jti`, found through the user's families (indexed). */
async function familyOfAccessToken(trx: Transaction<Database>, userId: string, jti: string): Promise<string | undefined> {
  const row = await trx
    .selectFrom('refresh_tokens')
    .innerJoin('refresh_families', 'refresh_families.id', 'refresh_tokens.family_id')
    .select('refresh_tokens.family_id')
    .where('refresh_families.user_id', '=', userId)
    .where('refresh_tokens.access_jti', '=', jti)
    .executeTakeFirst();
  return row?.family_id;
}

/** An audit event's row (the one mapping, toAuditRow), in `insertEvent`'s parameter order. */
function auditRow(event: AuditEvent): readonly unknown[] {
  const row = toAuditRow(event);
  return [row.id, row.at, row.type, row.user_id, row.username, row.client_id, row.ip, row.detail];
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

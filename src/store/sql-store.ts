import { Migrator, sql, type Kysely, type Selectable } from 'kysely';
import { Conflict, excerpt } from '../errors.js';
import { toAuditRow } from './audit-row.js';
import { migrationProvider } from './migrations/index.js';
import type { Database, UsersTable } from './schema.js';
import { SqlClientStore } from './sql-clients.js';
import { SqlRefreshStore } from './sql-refresh.js';
import { SqlRevocationStore } from './sql-revocations.js';
import type {
  AuditEvent,
  AuditStore,
  ClientStore,
  NewUser,
  PrivateKeyChange,
  RefreshStore,
  RevocationStore,
  SigningKeyRecord,
  SigningKeyStore,
  Store,
  UserPatch,
  UserQuery,
  UserRecord,
  UserStore,
} from './store.js';

/** A backend's upkeep running in the background (see Store.startBackgroundUpkeep). */
export interface BackgroundUpkeep {
  /** Resolves once in place; rejects when it could not start, and then nothing changed. */
  readonly started: Promise<void>;
  stop(): Promise<void>;
}

/** The Store over Kysely: the same queries serve SQLite and PostgreSQL. */
export class SqlStore implements Store {
  readonly users: UserStore;
  readonly signingKeys: SigningKeyStore;
  readonly clients: ClientStore;
  readonly refresh: RefreshStore;
  readonly revocations: RevocationStore;
  readonly audit: AuditStore;

  constructor(
    readonly kind: 'sqlite' | 'postgres',
    readonly db: Kysely<Database>,
    private readonly isUniqueViolation: (error: unknown) => boolean,
    /** A backend may put a cache in front of the user lookups (SQLite does). */
    wrapUsers: (users: UserStore) => UserStore = (users) => users,
    /** The backend's upkeep that can run in the background (see Store.startBackgroundUpkeep); stop() ends it. */
    private readonly upkeep?: (onError: (error: Error) => void) => BackgroundUpkeep,
  ) {
    this.users = wrapUsers(new SqlUserStore(db, isUniqueViolation));
    this.signingKeys = new SqlSigningKeyStore(db, isUniqueViolation);
    this.clients = new SqlClientStore(db, isUniqueViolation);
    this.refresh = new SqlRefreshStore(db);
    this.revocations = new SqlRevocationStore(db);
    this.audit = new SqlAuditStore(db);
  }

  async migrate(): Promise<readonly string[]> {
    const migrator = new Migrator({ db: this.db, provider: migrationProvider });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  private runningUpkeep: BackgroundUpkeep | undefined;

  async startBackgroundUpkeep(onError: (error: Error) => void): Promise<void> {
    if (!this.upkeep || this.runningUpkeep) return;
    const upkeep = this.upkeep(onError);
    this.runningUpkeep = upkeep;
    try {
      await upkeep.started;
    } catch (error) {
      this.runningUpkeep = undefined;
      throw error;
    }
  }

  async close(): Promise<void> {
    // First, so that this connection is the last one and its close leaves no WAL behind.
    await this.runningUpkeep?.stop();
    this.runningUpkeep = undefined;
    await this.db.destroy();
  }
}

type UserRow = Selectable<UsersTable>;

function toUser(row: UserRow, roles: readonly string[]): UserRecord {
  return {
    id: row.id,
    username: row.username,
    usernameNormalized: row.username_normalized,
    email: row.email,
    fullName: row.full_name,
    passwordHash: row.password_hash,
    disabled: Number(row.disabled) === 1,
    roles,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

class SqlUserStore implements UserStore {
  /**
   * The user lookups run on every authenticated request: each is compiled to SQL once,
   * and a call only supplies the value (Kysely's builder and compiler cost more than the query).
   */
  private readonly lookups;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly isUniqueViolation: (error: unknown) => boolean,
  ) {
    this.lookups = {
      'users.id': this.compileLookup('users.id'),
      'users.username_normalized': this.compileLookup('users.username_normalized'),
    };
  }

  async create(user: NewUser): Promise<UserRecord> {
    try {
      await this.db.transaction().execute((trx) => insertUser(trx, user));
    } catch (error) {
      if (this.isUniqueViolation(error)) throw new Conflict(`A user named ${excerpt(user.username)} already exists`);
      throw error;
    }
    return { ...user, updatedAt: user.createdAt };
  }

  async createMany(users: readonly NewUser[], onProgress?: (done: number) => void): Promise<{ created: number; skipped: readonly string[] }> {
    return this.db.transaction().execute(async (trx) => {
      const skipped: string[] = [];
      let created = 0;
      for (const user of users) {
        const exists = await trx
          .selectFrom('users')
          .select('id')
          .where('username_normalized', '=', user.usernameNormalized)
          .executeTakeFirst();
        if (exists) {
          skipped.push(user.username);
        } else {
          await insertUser(trx, user);
          created++;
        }
        onProgress?.(created + skipped.length);
      }
      return { created, skipped };
    });
  }

  findById(id: string): Promise<UserRecord | undefined> {
    return this.findOne('users.id', id);
  }

  findByUsername(usernameNormalized: string): Promise<UserRecord | undefined> {
    return this.findOne('users.username_normalized', usernameNormalized);
  }

  private compileLookup(column: 'users.id' | 'users.username_normalized') {
    return this.db
      .selectFrom('users')
      .leftJoin('user_roles', 'user_roles.user_id', 'users.id')
      .selectAll('users')
      .select('user_roles.role')
      .where(column, '=', '')
      .orderBy('user_roles.role')
      .compile();
  }

  private async findOne(column: 'users.id' | 'users.username_normalized', value: string): Promise<UserRecord | undefined> {
    const compiled = this.lookups[column];
    const { rows } = await this.db.executeQuery({ ...compiled, parameters: [value] } as typeof compiled);
    const first = rows[0];
    if (!first) return undefined;
    return toUser(first, rows.flatMap((r) => (r.role === null ? [] : [r.role])));
  }

  async list(query: UserQuery): Promise<{ users: readonly UserRecord[]; total: number }> {
    let base = this.db.selectFrom('users');
    if (query.search) {
      const pattern = `%${likeLiteral(query.search)}%`;
      base = base.where((eb) =>
        eb.or([
          eb('username_normalized', 'like', sql<string>`${pattern} escape '\\'`),
          eb('email', 'like', sql<string>`${pattern} escape '\\'`),
        ]),
      );
    }
    const [countRow, rows] = await Promise.all([
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      base.selectAll().orderBy('username_normalized').limit(query.limit).offset(query.offset).execute(),
    ]);
    const roles = await this.rolesOf(rows.map((r) => r.id));
    return { users: rows.map((r) => toUser(r, roles.get(r.id) ?? [])), total: Number(countRow.n) };
  }

  private async rolesOf(ids: readonly string[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>();
    if (ids.length === 0) return result;
    const rows = await this.db.selectFrom('user_roles').selectAll().where('user_id', 'in', ids).orderBy('role').execute();
    for (const row of rows) {
      const list = result.get(row.user_id) ?? [];
      list.push(row.role);
      result.set(row.user_id, list);
    }
    return result;
  }

  async update(id: string, patch: UserPatch, at: number): Promise<UserRecord | undefined> {
    const changed = await this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('users')
        .set({
          updated_at: at,
          ...(patch.email !== undefined ? { email: patch.email } : {}),
          ...(patch.fullName !== undefined ? { full_name: patch.fullName } : {}),
          ...(patch.disabled !== undefined ? { disabled: patch.disabled ? 1 : 0 } : {}),
        })
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      if (patch.roles !== undefined) {
        await trx.deleteFrom('user_roles').where('user_id', '=', id).execute();
        if (patch.roles.length > 0) {
          await trx
            .insertInto('user_roles')
            .values([...new Set(patch.roles)].map((role) => ({ user_id: id, role })))
            .execute();
        }
      }
      return true;
    });
    return changed ? this.findById(id) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async hashesWithoutPrefix(prefix: string, limit: number): Promise<readonly string[]> {
    const rows = await this.db
      .selectFrom('users')
      .select('password_hash')
      .where('password_hash', 'is not', null)
      .where('password_hash', 'not like', sql<string>`${`${likeLiteral(prefix)}%`} escape '\\'`)
      .limit(limit)
      .execute();
    return rows.flatMap((r) => (r.password_hash === null ? [] : [r.password_hash]));
  }

  async replacePasswordHash(id: string, expected: string | null, next: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ password_hash: next, updated_at: at })
      .where('id', '=', id)
      .where((eb) => (expected === null ? eb('password_hash', 'is', null) : eb('password_hash', '=', expected)))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

/** `text` matched as itself in a LIKE pattern with `escape '\'`. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

async function insertUser(db: Kysely<Database>, user: NewUser): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id: user.id,
      username: user.username,
      username_normalized: user.usernameNormalized,
      email: user.email,
      full_name: user.fullName,
      password_hash: user.passwordHash,
      disabled: user.disabled ? 1 : 0,
      created_at: user.createdAt,
      updated_at: user.createdAt,
    })
    .execute();
  if (user.roles.length > 0) {
    await db
      .insertInto('user_roles')
      .values([...new Set(user.roles)].map((role) => ({ user_id: user.id, role })))
      .execute();
  }
}

class SqlSigningKeyStore implements SigningKeyStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly isUniqueViolation: (error: unknown) => boolean,
  ) {}

  async list(): Promise<readonly SigningKeyRecord[]> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid').execute();
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      publicJwk: r.public_jwk,
      privateKey: r.private_key,
      createdAt: Number(r.created_at),
      retiredAt: r.retired_at === null ? null : Number(r.retired_at),
    }));
  }

  async rotate(key: SigningKeyRecord, at: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('signing_keys')
        .set({ retired_at: at })
        .where('alg', '=', key.alg)
        .where('retired_at', 'is', null)
        .execute();
      await trx.insertInto('signing_keys').values(toKeyRow(key)).execute();
    });
  }

  async addIfNone(key: SigningKeyRecord): Promise<boolean> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('signing_keys')
          .select('kid')
          .where('alg', '=', key.alg)
          .where('retired_at', 'is', null)
          .executeTakeFirst();
        if (existing) return false;
        await trx.insertInto('signing_keys').values(toKeyRow(key)).execute();
        return true;
      });
    } catch (error) {
      if (this.isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async prune(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('signing_keys')
      .where('retired_at', 'is not', null)
      .where('retired_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async replacePrivateKeys(changes: readonly PrivateKeyChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    // Rows in kid order, so that racing transactions lock them in the same order: the first takes them all.
    const ordered = [...changes].sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
    return this.db.transaction().execute(async (trx) => {
      let replaced = 0;
      for (const change of ordered) {
        const result = await trx
          .updateTable('signing_keys')
          .set({ private_key: change.next })
          .where('kid', '=', change.kid)
          .where('private_key', '=', change.expected)
          .executeTakeFirst();
        replaced += Number(result.numUpdatedRows);
      }
      return replaced;
    });
  }
}

function toKeyRow(key: SigningKeyRecord): Database['signing_keys'] {
  return {
    kid: key.kid,
    alg: key.alg,
    public_jwk: key.publicJwk,
    private_key: key.privateKey,
    created_at: key.createdAt,
    retired_at: key.retiredAt,
  };
}

class SqlAuditStore implements AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  async record(event: AuditEvent): Promise<void> {
    await this.db.insertInto('audit_events').values(toAuditRow(event)).execute();
  }

  async list(query: { limit: number; offset: number; type?: string; userId?: string }): Promise<{
    events: readonly AuditEvent[];
    total: number;
  }> {
    let base = this.db.selectFrom('audit_events');
    if (query.type) base = base.where('type', '=', query.type);
    if (query.userId) base = base.where('user_id', '=', query.userId);
    const [countRow, rows] = await Promise.all([
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      base.selectAll().orderBy('at', 'desc').orderBy('id').limit(query.limit).offset(query.offset).execute(),
    ]);
    return {
      total: Number(countRow.n),
      events: rows.map((r) => ({
        id: r.id,
        at: Number(r.at),
        type: r.type,
        userId: r.user_id,
        username: r.username,
        clientId: r.client_id,
        ip: r.ip,
        detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
      })),
    };
  }
}

import {
  PostgresAdapter,
  PostgresDialect,
  sql,
  type ControlledTransaction,
  type Kysely,
  type MigrationLockOptions,
  type PostgresDialectConfig,
} from 'kysely';
import type { Database } from '../schema.js';

/**
 * Instances that start together migrate one at a time, by a row lock on the lock row Kysely
 * keeps, not by PostgreSQL's advisory lock: PostgreSQL-compatible distributed engines
 * (CockroachDB, YugabyteDB) do not all have advisory locks, nor hold them across nodes.
 *
 * Kysely 0.28 takes the lock on the migration's connection before it begins the migration
 * transaction, and releases it after that commits; a row lock taken there would last one
 * statement. So the lock is a transaction of its own on a second connection of the pool,
 * ended on release, or with its connection should the process die.
 */
class RowLockPostgresAdapter extends PostgresAdapter {
  readonly #held = new WeakMap<Kysely<unknown>, ControlledTransaction<Database>>();

  constructor(private readonly sessions: () => Kysely<Database>) {
    super();
  }

  override async acquireMigrationLock(db: Kysely<unknown>, { lockTable, lockRowId, lockTableSchema }: MigrationLockOptions): Promise<void> {
    const table = lockTableSchema ? sql.id(lockTableSchema, lockTable) : sql.id(lockTable);
    const lock = await this.sessions().startTransaction().execute();
    try {
      await sql`select id from ${table} where id = ${lockRowId} for update`.execute(lock);
    } catch (error) {
      await lock.rollback().execute();
      throw error;
    }
    this.#held.set(db, lock);
  }

  override async releaseMigrationLock(db: Kysely<unknown>): Promise<void> {
    const lock = this.#held.get(db);
    this.#held.delete(db);
    await lock?.commit().execute();
  }
}

/** The pg dialect, migrating under the row lock above; `sessions` is the Kysely built on it. */
export class RowLockPostgresDialect extends PostgresDialect {
  constructor(
    config: PostgresDialectConfig,
    private readonly sessions: () => Kysely<Database>,
  ) {
    super(config);
  }

  override createAdapter(): PostgresAdapter {
    return new RowLockPostgresAdapter(this.sessions);
  }
}

import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../schema.js';
import { SqlStore } from '../sql-store.js';
import { withStatementCache } from './statement-cache.js';
import { CachedUserStore } from './user-cache.js';

/** Opens (creating when absent) the embedded SQLite store: WAL, foreign keys, a busy timeout. */
export function openSqliteStore(file: string): SqlStore {
  if (file !== ':memory:') {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // The database holds password hashes and private keys: create it owner-only (WAL/SHM inherit the mode).
    closeSync(openSync(file, 'a', 0o600));
  }
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const dataVersion = sqlite.prepare<[], { data_version: number }>('pragma data_version');
  return new SqlStore('sqlite', db, isSqliteUniqueViolation, (users) => new CachedUserStore(users, { dataVersion: () => dataVersion.get()?.data_version ?? 0 }));
}

function isSqliteUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

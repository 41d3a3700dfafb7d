import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../schema.js';
import { SqlStore } from '../sql-store.js';
import { startCheckpointer } from './checkpointer.js';
import { withStatementCache } from './statement-cache.js';
import { CachedUserStore } from './user-cache.js';

/** SQLite's default page cache size (KiB), not better-sqlite3's. */
const PAGE_CACHE_KIB = 2000;

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
  // better-sqlite3 builds SQLite with a 16 MB page cache (SQLITE_DEFAULT_CACHE_SIZE=-16000),
  // which fills as refresh tokens and audit rows accumulate and is never given back. SQLite's
  // own default of 2 MB holds the pages every statement walks (b-tree interior pages, the
  // tails written to); other pages are a read from the OS page cache away.
  sqlite.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const dataVersion = sqlite.prepare<[], { data_version: number }>('pragma data_version');
  return new SqlStore(
    'sqlite',
    db,
    isSqliteUniqueViolation,
    (users) => new CachedUserStore(users, { dataVersion: () => dataVersion.get()?.data_version ?? 0 }),
    // An in-memory database has no WAL and no other connection to reach it.
    file === ':memory:' ? undefined : (onError) => startCheckpointer(sqlite, path.resolve(file), { onError }),
  );
}

function isSqliteUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

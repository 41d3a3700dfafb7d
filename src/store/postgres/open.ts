import pg from 'pg';
import { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { SqlStore } from '../sql-store.js';
import { RowLockPostgresDialect } from './migration-lock.js';

// BIGINT (epoch milliseconds) fits a JS number for the next 285,000 years.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens a PostgreSQL store; `?schema=NAME` in the URL selects a schema (tests use one each).
 * `onConnectionLost` hears of an idle connection the server or the network ended (a restart,
 * a killed backend): the pool drops it and opens another when one is needed.
 */
export function openPostgresStore(url: string, onConnectionLost: (error: Error) => void = () => {}): SqlStore {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: 10,
    // A server that takes the connection and never answers (a wrong port, a stuck proxy) would
    // otherwise hang start-up and every command. `connect_timeout` in the URL (seconds, as libpq
    // reads it) sets it; the pool does not read it by itself.
    connectionTimeoutMillis: connectTimeoutMs(parsed),
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // Without a listener, pg's error event for an idle connection would end the process.
  pool.on('error', onConnectionLost);
  const db: Kysely<Database> = new Kysely<Database>({ dialect: new RowLockPostgresDialect({ pool }, () => db) });
  return new SqlStore('postgres', db, isPostgresUniqueViolation);
}

function connectTimeoutMs(url: URL): number {
  const seconds = Number(url.searchParams.get('connect_timeout') ?? Number.NaN);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : CONNECT_TIMEOUT_MS;
}

function isPostgresUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

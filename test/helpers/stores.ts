import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';

export interface OpenedStore {
  readonly store: Store;
  /** Closes the store and removes what it made (file, schema). */
  dispose(): Promise<void>;
}

export type StoreFactory = () => Promise<OpenedStore>;

/** A migrated SQLite store in its own temp directory. */
export async function sqliteStore(): Promise<OpenedStore> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-store-'));
  const store = openSqliteStore(path.join(dir, 'gatehouse.db'));
  await store.migrate();
  return {
    store,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The PostgreSQL server tests run against: GATEHOUSE_TEST_POSTGRES_URL, or the local one. */
export const TEST_POSTGRES_URL = process.env['GATEHOUSE_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A migrated PostgreSQL store in a schema of its own, dropped on dispose. */
export async function postgresStore(): Promise<OpenedStore> {
  const schema = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  await onTestServer(`CREATE SCHEMA ${schema}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('schema', schema);
  const store = openPostgresStore(url.toString());
  await store.migrate();
  return {
    store,
    async dispose() {
      await store.close();
      await onTestServer(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
}

/** An empty PostgreSQL database of its own on the test server, for a process under test to use; drop() removes it. */
export async function postgresDatabase(): Promise<{ readonly url: string; drop(): Promise<void> }> {
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  await onTestServer(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await connectionsClosed(name);
      await onTestServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * Waits (up to 5 s) for the connections to a database to close. A closed pg pool has asked its
 * connections to end but does not wait for them; one ended by force in the meantime would
 * raise an error event in that pool, with no one left to listen.
 */
async function connectionsClosed(database: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const deadline = Date.now() + 5_000;
    const count = async () => (await client.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [database])).rows[0]?.n ?? 0;
    while ((await count()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  } finally {
    await client.end();
  }
}

async function onTestServer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

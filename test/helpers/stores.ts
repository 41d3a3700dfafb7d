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
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('schema', schema);
  const store = openPostgresStore(url.toString());
  await store.migrate();
  return {
    store,
    async dispose() {
      await store.close();
      const cleanup = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await cleanup.connect();
      try {
        await cleanup.query(`DROP SCHEMA ${schema} CASCADE`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { sqliteStore } from '../helpers/stores.js';
import { storeContract } from './contract.js';

storeContract('SQLite', sqliteStore);

it('creates the SQLite file owner-only, in an owner-only directory, with WAL and foreign keys on', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-store-'));
  try {
    const file = path.join(dir, 'data', 'gatehouse.db');
    const store = openSqliteStore(file);
    await store.migrate();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    const { sql } = await import('kysely');
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
    assert.equal(mode.rows[0]?.journal_mode, 'wal');
    const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.db);
    assert.equal(fk.rows[0]?.foreign_keys, 1);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MIGRATION_LOCK_TABLE, DEFAULT_MIGRATION_TABLE } from 'kysely';
import pg from 'pg';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { postgresDatabase } from '../helpers/stores.js';

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

describe('PostgreSQL migrations', () => {
  it('migrate exactly once when several instances start on a fresh database at the same moment', async () => {
    const database = await postgresDatabase();
    const stores = Array.from({ length: 6 }, () => openPostgresStore(database.url));
    try {
      const applied = await Promise.all(stores.map((store) => store.migrate()));
      const names = Object.keys(await migrationProvider.getMigrations()).sort();
      assert.deepEqual(applied.flat().sort(), names, 'each migration applied by one instance only');
      const client = await connect(database.url);
      try {
        const { rows } = await client.query<{ name: string }>(`select name from ${DEFAULT_MIGRATION_TABLE} order by name`);
        assert.deepEqual(rows.map((r) => r.name), names);
      } finally {
        await client.end();
      }
      for (const store of stores) assert.deepEqual(await store.migrate(), []);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await database.drop();
    }
  });

  it('take turns by a row lock on the lock table, never an advisory lock', async () => {
    const database = await postgresDatabase();
    const first = openPostgresStore(database.url);
    const second = openPostgresStore(database.url);
    const holder = await connect(database.url);
    const observer = await connect(database.url);
    try {
      await first.migrate();
      await holder.query('begin');
      await holder.query(`select id from ${DEFAULT_MIGRATION_LOCK_TABLE} for update`);
      const holderPid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;

      let finished = false;
      const migrating = second.migrate().finally(() => (finished = true));
      // pg_blocking_pids names the transaction a waiting backend waits on.
      const waiting = async () =>
        (
          await observer.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [holderPid])
        ).rows[0]?.n ?? 0;
      const deadline = Date.now() + 10_000;
      while (!finished && (await waiting()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(finished, false, 'the second migrator went ahead while the lock row was held');
      assert.equal(await waiting(), 1, 'the second migrator waits on the lock row');
      const advisory = await observer.query(
        "select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())",
      );
      assert.equal(advisory.rows[0]?.n, 0);

      await holder.query('commit');
      assert.deepEqual(await migrating, []);
    } finally {
      await holder.end();
      await observer.end();
      await Promise.all([first.close(), second.close()]);
      await database.drop();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { removeDir, startServer, tempDir } from '../helpers/server.js';
import { postgresDatabase, TEST_POSTGRES_URL } from '../helpers/stores.js';

/** Ends every connection to `url`'s database from the server side, as a restart would. */
async function terminateConnections(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const database = new URL(url).pathname.slice(1);
    const { rows } = await client.query<{ ended: boolean }>(
      'select pg_terminate_backend(pid) as ended from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [database],
    );
    return rows.filter((r) => r.ended).length;
  } finally {
    await client.end();
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('PostgreSQL connections the server ends', () => {
  it('are reported and replaced; the store goes on working', async () => {
    const database = await postgresDatabase();
    const lost: Error[] = [];
    const store = openPostgresStore(database.url, (error) => lost.push(error));
    try {
      await store.migrate();
      assert.equal(await store.users.count(), 0);
      const ended = await terminateConnections(database.url);
      assert.ok(ended > 0);
      // Each idle connection hears of its end on its own; a query given one not yet told would fail.
      await until(() => lost.length >= ended, 'every lost connection to be reported');
      assert.equal(await store.users.count(), 0);
    } finally {
      await store.close();
      await database.drop();
    }
  });

  it('do not end `gatehouse serve`: it logs one line without the URL and keeps answering', async () => {
    const database = await postgresDatabase();
    const dir = tempDir();
    const url = new URL(database.url);
    url.password = 'not-a-real-secret';
    const server = await startServer({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_DATABASE_URL: url.toString() });
    try {
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
      assert.ok((await terminateConnections(database.url)) > 0);
      await until(() => server.output().includes('a PostgreSQL connection was lost'), 'the warning');
      // A request may still meet a connection that has not yet heard of its end; the next gets a new one.
      let ready = 0;
      for (let i = 0; i < 50 && ready !== 200; i++) {
        ready = (await fetch(`${server.url}/readyz`)).status;
        if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(ready, 200);
      assert.equal(server.process.exitCode, null);
      assert.doesNotMatch(server.output(), /not-a-real-secret/);
    } finally {
      await server.stop();
      removeDir(dir);
      await database.drop();
    }
  });
});

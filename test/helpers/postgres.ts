import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The local PostgreSQL the suite runs against; override with GATEHOUSE_TEST_POSTGRES_URL. */
export const POSTGRES_URL = process.env['GATEHOUSE_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Creates a schema of its own for one test file; `drop` removes it and everything in it. */
export async function createSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

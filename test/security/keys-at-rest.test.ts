import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { login, removeDir, runCli, startServer, tempDir } from '../helpers/server.js';

function privateKeys(dir: string): string[] {
  const db = new BetterSqlite3(path.join(dir, 'gatehouse.db'), { readonly: true });
  try {
    return (db.prepare('select private_key from signing_keys').all() as { private_key: string }[]).map((r) => r.private_key);
  } finally {
    db.close();
  }
}

describe('signing keys at rest', () => {
  it('keeps them in an owner-only database file by default', async () => {
    const dir = tempDir();
    try {
      const server = await startServer({ GATEHOUSE_DATA_DIR: dir });
      await server.stop();
      assert.equal(statSync(path.join(dir, 'gatehouse.db')).mode & 0o777, 0o600);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.match(privateKeys(dir)[0] ?? '', /^-----BEGIN PRIVATE KEY-----/);
    } finally {
      removeDir(dir);
    }
  });

  it('encrypts them with GATEHOUSE_KEY_ENCRYPTION_KEY, and will not start with a wrong or missing one', async () => {
    const dir = tempDir();
    const kek = randomBytes(32).toString('base64');
    try {
      const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_KEY_ENCRYPTION_KEY: kek };
      await runCli(['user', 'add', 'johndoe', '--password-stdin'], env, 'correct horse\n');
      const server = await startServer(env);
      try {
        const res = await login(server.url, 'johndoe', 'correct horse');
        assert.equal(res.status, 200);
        const { access_token: token } = (await res.json()) as { access_token: string };
        assert.equal((await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      } finally {
        await server.stop();
      }
      const stored = privateKeys(dir);
      assert.equal(stored.length, 1);
      assert.match(stored[0] ?? '', /^enc:v1:/);
      assert.ok(!stored[0]?.includes('PRIVATE KEY'));

      const wrong = await runCli(['serve'], { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /^gatehouse: failed: signing key \S+ cannot be decrypted with GATEHOUSE_KEY_ENCRYPTION_KEY\n$/);
      const missing = await runCli(['serve'], { GATEHOUSE_DATA_DIR: dir });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /is encrypted; set GATEHOUSE_KEY_ENCRYPTION_KEY/);
    } finally {
      removeDir(dir);
    }
  });
});

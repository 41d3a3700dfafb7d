import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { login, removeDir, runCli, startServer, tempDir } from '../helpers/server.js';

function privateKeys(dir: string): string[] {
  return storedKeys(dir).map((r) => r.private_key);
}

function storedKeys(dir: string): { kid: string; public_jwk: string; private_key: string }[] {
  const db = new BetterSqlite3(path.join(dir, 'gatehouse.db'), { readonly: true });
  try {
    return db.prepare('select kid, public_jwk, private_key from signing_keys order by kid').all() as { kid: string; public_jwk: string; private_key: string }[];
  } finally {
    db.close();
  }
}

const jwksOf = async (url: string): Promise<unknown> => (await fetch(`${url}/.well-known/jwks.json`)).json();

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

  it('encrypts the keys stored in plaintext before GATEHOUSE_KEY_ENCRYPTION_KEY was set, once, at the next start; their tokens keep verifying', async () => {
    const dir = tempDir();
    const kek = randomBytes(32).toString('base64');
    try {
      // One issuer for every start, as for a real deployment (the default names the port).
      const plain = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_ISSUER: 'http://gatehouse.test' };
      await runCli(['user', 'add', 'johndoe', '--password-stdin'], plain, 'correct horse\n');
      assert.equal((await runCli(['keys', 'rotate'], plain)).code, 0);
      let server = await startServer(plain);
      const res = await login(server.url, 'johndoe', 'correct horse');
      const { access_token: token } = (await res.json()) as { access_token: string };
      const jwks = await jwksOf(server.url);
      await server.stop();
      const before = storedKeys(dir);
      assert.equal(before.length, 2);
      assert.ok(before.every((r) => r.private_key.startsWith('-----BEGIN PRIVATE KEY-----')));

      const env = { ...plain, GATEHOUSE_KEY_ENCRYPTION_KEY: kek, GATEHOUSE_LOG_LEVEL: 'info' };
      server = await startServer(env);
      try {
        const lines = server.output().split('\n').filter((line) => line.includes('plaintext signing key'));
        assert.equal(lines.length, 1, server.output());
        assert.match(lines[0] ?? '', /"encrypted":2,.*"msg":"encrypted 2 plaintext signing keys with GATEHOUSE_KEY_ENCRYPTION_KEY"/);
        assert.deepEqual(await jwksOf(server.url), jwks);
        assert.equal((await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      } finally {
        await server.stop();
      }
      const after = storedKeys(dir);
      assert.deepEqual(
        after.map((r) => [r.kid, r.public_jwk]),
        before.map((r) => [r.kid, r.public_jwk]),
      );
      assert.ok(after.every((r) => r.private_key.startsWith('enc:v1:') && !r.private_key.includes('PRIVATE KEY')));

      server = await startServer(env);
      await server.stop();
      assert.doesNotMatch(server.output(), /plaintext signing key/, 'nothing left to encrypt');
      assert.deepEqual(storedKeys(dir), after);

      const wrong = await runCli(['serve'], { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /^gatehouse: failed: signing key \S+ cannot be decrypted with GATEHOUSE_KEY_ENCRYPTION_KEY\n$/);
    } finally {
      removeDir(dir);
    }
  });
});

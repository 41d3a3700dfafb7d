import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { login, removeDir, ROOT, runCli, startServer, tempDir, type RunningServer } from '../helpers/server.js';

interface FixtureRow {
  readonly scheme: string;
  readonly password: string;
  readonly hash: string;
  readonly must_fail?: boolean;
}
const FIXTURES = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/password-hashes.json'), 'utf8')) as { rows: FixtureRow[] };

function query<T>(dir: string, sql: string, ...params: unknown[]): T[] {
  const db = new BetterSqlite3(path.join(dir, 'gatehouse.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

describe('passwords, black-box', () => {
  let dir: string;
  let server: RunningServer;
  let env: Record<string, string>;
  before(async () => {
    dir = tempDir();
    env = { GATEHOUSE_DATA_DIR: dir };
    // One user per fixture row (the same hash may appear twice: each row gets its own user).
    const users = FIXTURES.rows.map((row, i) => ({ username: `fixture${i}`, hashed_password: row.hash, email: null, full_name: row.scheme, disabled: false }));
    users.push({ username: 'twins', hashed_password: FIXTURES.rows[1]?.hash as string, email: null, full_name: 'parallel first login', disabled: false });
    const file = path.join(dir, 'import.json');
    writeFileSync(file, JSON.stringify(users));
    const imported = await runCli(['user', 'import', file], env);
    assert.equal(imported.code, 0, imported.stderr);
    server = await startServer(env);
  });
  after(async () => {
    await server?.stop();
    removeDir(dir);
  });

  it('logs in every imported hash made by passlib, bcrypt and argon2-cffi, and refuses both 72-byte bcrypt rows', async () => {
    for (const [i, row] of FIXTURES.rows.entries()) {
      const res = await login(server.url, `fixture${i}`, row.password);
      assert.equal(res.status, row.must_fail ? 400 : 200, `${row.scheme}: ${res.status}`);
      if (row.must_fail) assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
    }
  });

  it('rehashes once when two first logins of an imported user run in parallel, and both succeed', async () => {
    const password = FIXTURES.rows[1]?.password as string;
    const [a, b] = await Promise.all([login(server.url, 'twins', password), login(server.url, 'twins', password)]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const [user] = query<{ id: string; password_hash: string }>(dir, "select id, password_hash from users where username_normalized = 'twins'");
    assert.match(user?.password_hash ?? '', /^\$argon2id\$/);
    await new Promise((r) => setTimeout(r, 200)); // audit writes are not awaited by the answer
    const events = query<{ n: number }>(dir, "select count(*) as n from audit_events where type = 'password.rehashed' and user_id = ?", user?.id);
    assert.equal(events[0]?.n, 1);
    assert.equal((await login(server.url, 'twins', password)).status, 200, 'the new argon2id hash verifies');
  });

  it('answers NUL bytes and invalid UTF-8 in a password with invalid_grant, never a 500', async () => {
    for (const body of ['username=fixture0&password=sec%00ret', 'username=fixture0&password=%FF%FE%FD', 'username=fixture0&password=%ED%A0%80']) {
      const res = await fetch(`${server.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      assert.equal(res.status, 400, body);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
    }
  });

  it('refuses new passwords under 8 or over 1024 characters', async () => {
    const short = await runCli(['user', 'add', 'shorty', '--password-stdin'], env, '1234567\n');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 8/);
    const long = await runCli(['user', 'add', 'longy', '--password-stdin'], env, `${'x'.repeat(1025)}\n`);
    assert.equal(long.code, 1);
    assert.match(long.stderr, /at most 1024/);
    assert.equal((await runCli(['user', 'add', 'justright', '--password-stdin'], env, `${'x'.repeat(1024)}\n`)).code, 0);
  });
});

describe('argon2 parameters', () => {
  it('upgrades a hash made with weaker parameters at the next login once they are raised', async () => {
    const dir = tempDir();
    try {
      await runCli(['user', 'add', 'upgrader', '--password-stdin'], { GATEHOUSE_DATA_DIR: dir }, 'upgrade password\n');
      const before = query<{ password_hash: string }>(dir, 'select password_hash from users')[0]?.password_hash;
      assert.match(before ?? '', /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      const server = await startServer({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_ARGON2_MEMORY: '32768', GATEHOUSE_ARGON2_TIME: '3' });
      try {
        assert.equal((await login(server.url, 'upgrader', 'upgrade password')).status, 200);
      } finally {
        await server.stop();
      }
      const after = query<{ password_hash: string }>(dir, 'select password_hash from users')[0]?.password_hash;
      assert.match(after ?? '', /^\$argon2id\$v=19\$m=32768,t=3,p=1\$/);
    } finally {
      removeDir(dir);
    }
  });

  it('refuses to start with parameters below the OWASP minimum', async () => {
    const result = await runCli(['serve'], { GATEHOUSE_ARGON2_MEMORY: '4096' });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'gatehouse: GATEHOUSE_ARGON2_MEMORY must be between 19456 and 4194304, got 4096\n');
  });
});

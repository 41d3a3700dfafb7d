import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { cliExit, jsonObjectOf, login, removeDir, ROOT, runCli, spawnCli, startServer, tempDir, type RunningServer } from '../helpers/server.js';
import { postgresDatabase } from '../helpers/stores.js';

const FIXTURES = path.join(ROOT, 'test/fixtures');

function passwordHashOf(dataDir: string, username: string): string {
  const db = new BetterSqlite3(path.join(dataDir, 'gatehouse.db'), { readonly: true });
  try {
    const row = db.prepare('select password_hash from users where username_normalized = ?').get(username) as { password_hash: string };
    return row.password_hash;
  } finally {
    db.close();
  }
}

describe('the gatehouse CLI and server, end to end', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: RunningServer;
  before(async () => {
    dir = tempDir();
    env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'warn' };
    const imported = await runCli(['user', 'import', path.join(FIXTURES, 'seed-users.json')], env);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stderr, /imported 2 users/);
    server = await startServer(env);
  });
  after(async () => {
    await server?.stop();
    removeDir(dir);
  });

  it('logs in an imported seed user (bcrypt) and upgrades the hash to argon2id on that login', async () => {
    assert.match(passwordHashOf(dir, 'johndoe'), /^\$2b\$12\$/);
    const first = await login(server.url, 'johndoe', 'secret');
    assert.equal(first.status, 200);
    const token = ((await first.json()) as { access_token: string }).access_token;
    const me = await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { username: string }).username, 'johndoe');
    assert.match(passwordHashOf(dir, 'johndoe'), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const second = await login(server.url, 'johndoe', 'secret');
    assert.equal(second.status, 200);
    assert.match(passwordHashOf(dir, 'johndoe'), /^\$argon2id\$/);
  });

  it('gives the disabled seed user no token, with the same answer as a wrong password', async () => {
    const disabled = await login(server.url, 'alice', 'secret2');
    const wrong = await login(server.url, 'johndoe', 'not-the-password');
    assert.equal(disabled.status, 400);
    assert.deepEqual(await disabled.json(), await wrong.json());
  });

  it('adds a user with --password-stdin (the newline is not part of the password) and lists it', async () => {
    const added = await runCli(['user', 'add', 'Carol', '--email', 'carol@example.com', '--full-name', 'Carol C', '--role', 'admin', '--password-stdin'], env, 'carol password\n');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout.trim(), /^[0-9a-f-]{36}$/);
    const res = await login(server.url, 'carol', 'carol password', { scope: 'admin' });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { scope: string }).scope, 'admin');
    const list = await runCli(['user', 'list', '--json'], env);
    assert.equal(list.code, 0);
    const parsed = jsonObjectOf<{ total: number; users: { username: string; roles: string[] }[] }>(list);
    assert.equal(parsed.total, 3);
    assert.deepEqual(parsed.users.find((u) => u.username === 'Carol')?.roles, ['admin']);
    assert.ok(!list.stdout.includes('$argon2') && !list.stdout.includes('$2b$'), 'no hash in the listing');
  });

  it('takes the --password-stdin line as soon as it arrives, from a pipe its writer keeps open', async () => {
    const child = spawnCli(['user', 'add', 'bob', '--password-stdin'], env);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    try {
      const exit = cliExit(child);
      child.stdin.write('secret-pass-123\n');
      const { code, stderr } = await exit;
      assert.equal(code, 0, `exit ${code} (killed if null: it waited for the end of stdin); ${stderr}`);
    } finally {
      clearTimeout(timer);
      child.stdin.destroy();
    }
    assert.equal((await login(server.url, 'bob', 'secret-pass-123')).status, 200);
  });

  it('drops the CR of a CRLF line from --password-stdin, and refuses an empty line by the password policy', async () => {
    const added = await runCli(['user', 'add', 'bea', '--password-stdin'], env, 'crlf password\r\nnext line\n');
    assert.equal(added.code, 0, added.stderr);
    assert.equal((await login(server.url, 'bea', 'crlf password')).status, 200);
    const empty = await runCli(['user', 'add', 'ben', '--password-stdin'], env, '\nnot the password\n');
    assert.deepEqual(empty, { code: 1, stdout: '', stderr: 'gatehouse: Password must be at least 8 characters\n' });
  });

  it('refuses a duplicate user, a short password and a bad username with exit 1 and one line', async () => {
    for (const [args, input, message] of [
      [['user', 'add', 'CAROL', '--password-stdin'], 'another password\n', /already exists/],
      [['user', 'add', 'dan', '--password-stdin'], 'short\n', /at least 8/],
      [['user', 'add', 'd\u200ban', '--password-stdin'], 'long enough\n', /username may contain only/],
    ] as const) {
      const result = await runCli(args, env, input);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, message);
    }
  });

  it('disables and deletes users; their tokens stop working at once', async () => {
    await runCli(['user', 'add', 'erin', '--password-stdin'], env, 'erin password\n');
    const token = ((await (await login(server.url, 'erin', 'erin password')).json()) as { access_token: string }).access_token;
    const me = () => fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await me()).status, 200);
    assert.equal((await runCli(['user', 'disable', 'ERIN'], env)).code, 0);
    assert.equal((await me()).status, 401);
    assert.equal((await login(server.url, 'erin', 'erin password')).status, 400);
    assert.equal((await runCli(['user', 'delete', 'erin'], env)).code, 0);
    assert.equal((await me()).status, 401);
    const missing = await runCli(['user', 'delete', 'erin'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^gatehouse: No user named "erin"\n$/);
  });

  it('quotes an unknown username in one short line, however long and many-lined it is', async () => {
    const name = `${'x'.repeat(5000)}\n${'y'.repeat(5000)}\nz`;
    const result = await runCli(['user', 'disable', name], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^gatehouse: No user named "x{60}"…\n$/);
    assert.ok(result.stderr.length < 200, result.stderr);
  });

  it('answers usage errors with exit 2 and one line', async () => {
    for (const args of [['frobnicate'], ['user', 'add'], ['user', 'add', 'x', '--bogus'], ['user', 'frob'], ['serve', 'extra']]) {
      const result = await runCli(args, env);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /^gatehouse: /);
    }
  });

  it('keeps the database owner-only', () => {
    assert.equal(statSync(path.join(dir, 'gatehouse.db')).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });
});

describe('gatehouse user import', () => {
  it('imports a JSON array and CSV, keeping bcrypt, $2y$ and passlib bcrypt-sha256 hashes as they are', async () => {
    const dir = tempDir();
    const env = { GATEHOUSE_DATA_DIR: dir };
    try {
      const arrayFile = path.join(dir, 'users.json');
      writeFileSync(
        arrayFile,
        JSON.stringify([
          { username: 'argon', email: null, full_name: null, disabled: false, hashed_password: '$argon2id$v=19$m=102400,t=2,p=8$rrXW+j8HoFQK4RyjlBLiHA$oOj72eoeW9wy36gl7yhA0Q' },
        ]),
      );
      assert.equal((await runCli(['user', 'import', arrayFile], env)).code, 0);
      const csv = await runCli(['user', 'import', path.join(FIXTURES, 'users.csv')], env);
      assert.equal(csv.code, 0, csv.stderr);
      assert.match(csv.stderr, /imported 2 users/);
      assert.match(passwordHashOf(dir, 'php-user'), /^\$2y\$10\$/);
      assert.match(passwordHashOf(dir, 'sha-user'), /^\$bcrypt-sha256\$/);
      const server = await startServer(env);
      try {
        assert.equal((await login(server.url, 'argon', 'Correct-Horse-argon2')).status, 200);
        assert.equal((await login(server.url, 'php-user', 'Correct-Horse-2y')).status, 200);
        assert.equal((await login(server.url, 'sha-user', 'Correct-Horse-sha256')).status, 200);
        const profile = await runCli(['user', 'list', '--json', '--search', 'php'], env);
        assert.deepEqual(
          jsonObjectOf<{ users: { full_name: string }[] }>(profile).users.map((u) => u.full_name),
          ['Doe, Jane'],
        );
      } finally {
        await server.stop();
      }
      // Importing again skips the existing users and writes nothing twice.
      const again = await runCli(['user', 'import', path.join(FIXTURES, 'users.csv')], env);
      assert.equal(again.code, 0);
      assert.match(again.stderr, /imported 0 users; skipped 2/);
    } finally {
      removeDir(dir);
    }
  });

  it('refuses a file with a bad record as a whole, naming it, and writes nothing', async () => {
    const dir = tempDir();
    const env = { GATEHOUSE_DATA_DIR: dir };
    try {
      const file = path.join(dir, 'bad.json');
      writeFileSync(
        file,
        JSON.stringify({
          good: { username: 'good', hashed_password: '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW' },
          bad: { username: 'bad', hashed_password: 'plaintext-password' },
        }),
      );
      const result = await runCli(['user', 'import', file], env);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /record 2 \("bad"\): hashed_password is not a bcrypt/);
      assert.ok(!result.stderr.includes('plaintext-password'));
      assert.equal(jsonObjectOf<{ total: number }>(await runCli(['user', 'list', '--json'], env)).total, 0);
      const missing = await runCli(['user', 'import', path.join(dir, 'nope.json')], env);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /cannot read .*nope\.json: ENOENT/);
    } finally {
      removeDir(dir);
    }
  });
  it('refuses JSON with a syntax error by file, line and column, quoting none of it, and imports nothing', async () => {
    const dir = tempDir();
    const env = { GATEHOUSE_DATA_DIR: dir };
    try {
      const hash = '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW';
      const broken = `  {"username": "next", "hashed_password": "${hash}" "oops"}`;
      const file = path.join(dir, 'broken.json');
      writeFileSync(file, `[\n  {"username": "good", "hashed_password": "${hash}"},\n${broken}\n]\n`);
      const result = await runCli(['user', 'import', file], env);
      assert.deepEqual(result, { code: 1, stdout: '', stderr: `gatehouse: ${file}:3:${broken.indexOf(' "oops"') + 2}: not valid JSON\n` });
      const cut = path.join(dir, 'cut.json');
      const cutText = `[{"username": "good", "hashed_password": "${hash}"`;
      writeFileSync(cut, cutText);
      assert.equal((await runCli(['user', 'import', cut], env)).stderr, `gatehouse: ${cut}:1:${cutText.length + 1}: the JSON ends too soon\n`);
      assert.equal(jsonObjectOf<{ total: number }>(await runCli(['user', 'list', '--json'], env)).total, 0);
    } finally {
      removeDir(dir);
    }
  });
});

describe('gatehouse user list', () => {
  const USERS = 3000;
  let dir: string;
  let env: Record<string, string>;
  let file: string;
  let importOutput: string;
  before(async () => {
    dir = tempDir();
    env = { GATEHOUSE_DATA_DIR: dir };
    file = path.join(dir, 'users.csv');
    const hash = '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW';
    writeFileSync(file, ['username,hashed_password', ...Array.from({ length: USERS }, (_, i) => `user${i},${hash}`)].join('\n'));
    const imported = await runCli(['user', 'import', file], env);
    assert.equal(imported.code, 0, imported.stderr);
    importOutput = imported.stderr;
  });
  after(() => removeDir(dir));

  it('(the import before it) shows its progress at each tenth', () => {
    const tenths = Array.from({ length: 9 }, (_, i) => `writing users: ${(i + 1) * 10}% (${((i + 1) * USERS) / 10} of ${USERS})\n`);
    assert.equal(importOutput, `read ${USERS} users from ${file}\n${tenths.join('')}imported ${USERS} users\n`);
  });

  it('names at most 20 of the users an import skipped', async () => {
    const again = await runCli(['user', 'import', file], env);
    assert.equal(again.code, 0, again.stderr);
    const named = Array.from({ length: 20 }, (_, i) => `user${i}`).join(', ');
    assert.match(again.stderr, new RegExp(`\\nimported 0 users; skipped ${USERS} that exist already: ${named} and ${USERS - 20} more\\n$`));
  });

  it('stops writing quietly, with exit 0, when its reader goes away (| head -1)', async () => {
    // Far more than a pipe holds (64 kB), so writes are still to come when the reader leaves.
    const child = spawnCli(['user', 'list', '--limit', String(USERS)], env);
    child.stdout.once('data', () => child.stdout.destroy());
    child.stdin.end();
    const { code, stderr } = await cliExit(child);
    assert.equal(stderr, `${USERS} of ${USERS} users\n`);
    assert.equal(code, 0);
  });

  it('takes --limit only as plain decimal digits, from 1 to 1000000', async () => {
    const refused = ['0', '-1', '+5', '05', '1e3', '0x10', ' 5 ', '5 ', '', '1.0', '1000001', '99999999999999999999'];
    const results = await Promise.all(refused.map((limit) => runCli(['user', 'list', `--limit=${limit}`], env)));
    results.forEach((result, i) => {
      assert.deepEqual(result, { code: 2, stdout: '', stderr: 'gatehouse: --limit must be a whole number from 1 to 1000000\n' }, JSON.stringify(refused[i]));
    });
    for (const [limit, shown] of [['1', 1], ['2999', 2999], ['1000000', USERS]] as const) {
      const result = await runCli(['user', 'list', '--limit', limit], env);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.split('\n').length - 1, shown, limit);
    }
  });
});

describe('gatehouse serve', () => {
  it('creates the bootstrap admin on an empty store, and only then', async () => {
    const dir = tempDir();
    try {
      const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_ADMIN_USERNAME: 'admin', GATEHOUSE_ADMIN_PASSWORD: 'admin password' };
      const server = await startServer(env);
      try {
        const res = await login(server.url, 'admin', 'admin password');
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as { scope: string }).scope, 'admin me');
      } finally {
        await server.stop();
      }
      const again = await startServer({ ...env, GATEHOUSE_ADMIN_USERNAME: 'other', GATEHOUSE_ADMIN_PASSWORD: 'other password' });
      try {
        assert.equal((await login(again.url, 'other', 'other password')).status, 400);
      } finally {
        await again.stop();
      }
    } finally {
      removeDir(dir);
    }
  });

  it('stops a start with a bad setting with exit 1 and one line naming the variable', async () => {
    const result = await runCli(['serve'], { GATEHOUSE_JWT_ALG: 'HS256', GATEHOUSE_JWT_SECRET: 'too-short' });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'gatehouse: GATEHOUSE_JWT_SECRET must be at least 32 bytes for HS256\n');
  });

  it('serve names the settings at fault when it cannot listen, in one line', async () => {
    const dir = tempDir();
    const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'warn' };
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const inUse = await runCli(['serve'], { ...env, GATEHOUSE_HOST: '127.0.0.1', GATEHOUSE_PORT: port });
      assert.equal(inUse.code, 1);
      assert.equal(inUse.stderr, `gatehouse: cannot listen on GATEHOUSE_HOST=127.0.0.1 GATEHOUSE_PORT=${port}: EADDRINUSE\n`);
    } finally {
      taken.close();
    }
    const unknown = await runCli(['serve'], { ...env, GATEHOUSE_HOST: 'nonexistent.invalid', GATEHOUSE_PORT: '8000' });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^gatehouse: cannot listen on GATEHOUSE_HOST=nonexistent.invalid GATEHOUSE_PORT=8000: \S+\n$/);
    removeDir(dir);
  });


  it('stops with one line naming GATEHOUSE_DATABASE_URL when PostgreSQL cannot be used, and never hangs', async () => {
    // A server that takes the connection and never answers.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const t0 = performance.now();
      const stuck = await runCli(['migrate'], { GATEHOUSE_DATABASE_URL: `postgres://gatehouse:s3cret@127.0.0.1:${port}/x?connect_timeout=1` });
      assert.ok(performance.now() - t0 < 15_000, 'gave up instead of hanging');
      assert.equal(stuck.code, 1);
      assert.match(stuck.stderr, /^gatehouse: cannot use the PostgreSQL database of GATEHOUSE_DATABASE_URL: [^\n]+\n$/);
      assert.ok(!stuck.stderr.includes('s3cret'), 'never the password');
    } finally {
      silent.close();
    }
    const missing = await runCli(['migrate'], { GATEHOUSE_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/gatehouse_no_such_database' });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^gatehouse: cannot use the PostgreSQL database of GATEHOUSE_DATABASE_URL: database "gatehouse_no_such_database" does not exist\n$/);
  });


  it('stops with one line naming GATEHOUSE_REDIS_URL when Redis cannot be used, and is ready when it can', async () => {
    const dir = tempDir();
    const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'warn' };
    try {
      for (const [url, reason] of [
        ['redis://127.0.0.1:1', /ECONNREFUSED/],
        ['redis://127.0.0.1:6379/99', /DB index is out of range/], // ioredis alone would go on with database 0
        ['rediss://127.0.0.1:6379', /\S/], // TLS against a plain server
      ] as const) {
        const result = await runCli(['serve'], { ...env, GATEHOUSE_REDIS_URL: url, GATEHOUSE_PORT: '8000' });
        assert.equal(result.code, 1, url);
        assert.match(result.stderr, /^gatehouse: cannot use the Redis of GATEHOUSE_REDIS_URL: [^\n]+\n$/, url);
        assert.match(result.stderr, reason, url);
      }
      const server = await startServer({ ...env, GATEHOUSE_REDIS_URL: 'redis://127.0.0.1:6379/0' });
      try {
        const ready = await fetch(`${server.url}/readyz`);
        assert.equal(ready.status, 200);
      } finally {
        await server.stop();
      }
    } finally {
      removeDir(dir);
    }
  });

});

describe('gatehouse migrate', () => {
  async function migrationNames(): Promise<string> {
    return Object.keys(await migrationProvider.getMigrations()).sort().join(', ');
  }

  async function reportsWhatItApplies(env: Record<string, string>, fresh: Record<string, string>): Promise<void> {
    const first = await runCli(['migrate'], env);
    assert.deepEqual(first, { code: 0, stdout: '', stderr: `applied ${await migrationNames()}\n` });
    assert.deepEqual(await runCli(['migrate'], env), { code: 0, stdout: '', stderr: 'the store is up to date\n' });
    // Any other command still applies what is pending, before doing its work.
    assert.deepEqual(jsonObjectOf(await runCli(['user', 'list', '--json'], fresh)), { total: 0, users: [] });
    assert.deepEqual(await runCli(['migrate'], fresh), { code: 0, stdout: '', stderr: 'the store is up to date\n' });
  }

  it('reports the migrations it applied to a fresh SQLite file, then that the store is up to date', async () => {
    const [one, two] = [tempDir(), tempDir()];
    try {
      await reportsWhatItApplies({ GATEHOUSE_DATA_DIR: one }, { GATEHOUSE_DATA_DIR: two });
    } finally {
      removeDir(one);
      removeDir(two);
    }
  });

  it('does the same on a fresh PostgreSQL database', async () => {
    const [one, two] = [await postgresDatabase(), await postgresDatabase()];
    try {
      await reportsWhatItApplies({ GATEHOUSE_DATABASE_URL: one.url }, { GATEHOUSE_DATABASE_URL: two.url });
    } finally {
      await one.drop();
      await two.drop();
    }
  });
});

describe('gatehouse keys', () => {
  it('makes nothing on a fresh store and says there is no key yet; serve makes the first', async () => {
    const dir = tempDir();
    try {
      const env = { GATEHOUSE_DATA_DIR: dir };
      const listed = await runCli(['keys', 'list'], env);
      assert.deepEqual(listed, { code: 0, stdout: '', stderr: 'no ES256 signing key yet; `gatehouse serve` makes the first\n' });
      assert.deepEqual(await runCli(['keys', 'list', '--json'], env), { code: 0, stdout: '{"keys":[]}\n', stderr: '' });
      const db = new BetterSqlite3(path.join(dir, 'gatehouse.db'), { readonly: true });
      try {
        assert.deepEqual(db.prepare('select count(*) as n from signing_keys').get(), { n: 0 });
      } finally {
        db.close();
      }

      const server = await startServer(env);
      await server.stop();
      const after = jsonObjectOf<{ keys: Array<{ alg: string; status: string }> }>(await runCli(['keys', 'list', '--json'], env));
      assert.deepEqual(after.keys.map((k) => [k.alg, k.status]), [['ES256', 'current']]);
    } finally {
      removeDir(dir);
    }
  });

  it('rotate --json prints one object for the new key, the same as its entry in keys list --json', async () => {
    const dir = tempDir();
    try {
      // A long interval keeps the new key `next` between the two commands.
      const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_KEY_REFRESH_INTERVAL: '1h' };
      const rotated = await runCli(['keys', 'rotate', '--json'], env);
      const key = jsonObjectOf<Record<string, unknown>>(rotated);
      assert.deepEqual(Object.keys(key), ['kid', 'alg', 'status', 'created_at', 'retired_at']);
      assert.deepEqual([key['alg'], key['status'], key['retired_at']], ['ES256', 'next', null]);
      assert.match(rotated.stderr, new RegExp(`^new ES256 signing key ${String(key['kid'])} is published`));
      const { keys } = jsonObjectOf<{ keys: Array<Record<string, unknown>> }>(await runCli(['keys', 'list', '--json'], env));
      assert.deepEqual(keys[0], key);
      assert.deepEqual(keys.map((k) => k['status']), ['next', 'current']);
      assert.match((await runCli(['keys', 'rotate'], env)).stdout, /^[A-Za-z0-9_-]+\n$/);
    } finally {
      removeDir(dir);
    }
  });
});

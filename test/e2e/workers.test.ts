import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, poll, removeDir, ROOT, runCli, startServer, tempDir, type RunningServer } from '../helpers/server.js';

/** The worker processes of the primary (Linux: /proc lists a thread's children). */
function workersOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(' ').map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One request on a connection of its own, so that node:cluster hands each to the next worker. */
function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end(options.body);
  });
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describe('gatehouse serve with GATEHOUSE_WORKERS=2', () => {
  let dir: string;
  let server: RunningServer;
  let primary: number;

  before(async () => {
    dir = tempDir();
    server = await startServer({
      GATEHOUSE_DATA_DIR: dir,
      GATEHOUSE_WORKERS: '2',
      GATEHOUSE_LOGIN_FREE_FAILURES: '2',
      GATEHOUSE_KEY_REFRESH_INTERVAL: '1h',
      GATEHOUSE_ADMIN_USERNAME: 'admin',
      GATEHOUSE_ADMIN_PASSWORD: 'admin password 1',
    });
    primary = server.process.pid ?? 0;
    // /healthz answers once the first worker listens; wait for the second too.
    assert.equal((await poll(() => workersOf(primary), (pids) => pids.length === 2, 50)).length, 2, 'two workers');
    for (let i = 0; i < 20; i++) assert.equal((await request(`${server.url}/healthz`)).status, 200);
  });
  after(async () => {
    await server.stop();
    removeDir(dir);
  });

  it('made the admin account once, before the workers started', async () => {
    const res = await request(`${server.url}/token`, form({ username: 'admin', password: 'admin password 1' }));
    assert.equal(res.status, 200, res.body);
  });

  it('counts failed logins in one place: the lockout holds whichever worker a guess reaches', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(`${server.url}/token`, form({ username: 'nobody', password: `guess ${i}` }))).status);
    // Two free failures, the third is counted, then every guess waits: with a counter per
    // worker, alternate connections would get twice as many guesses.
    assert.deepEqual(statuses, [400, 400, 400, 429, 429, 429]);
  });

  it('answers /metrics for the whole server: every worker’s counts, added up', async () => {
    const client = await runCli(['client', 'add', 'prometheus', '--scope', 'metrics'], { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'warn' });
    assert.equal(client.code, 0, client.stderr);
    const id = /client_id: (\S+)/.exec(client.stdout)?.[1] ?? '';
    const secret = /client_secret: (\S+)/.exec(client.stdout)?.[1] ?? '';
    const grant = await request(`${server.url}/token`, {
      ...form({ grant_type: 'client_credentials', scope: 'metrics' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
    });
    assert.equal(grant.status, 200, grant.body);
    const token = (JSON.parse(grant.body) as { access_token: string }).access_token;
    const scrape = async () => {
      const res = await request(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, res.body);
      const count = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(res.body)?.[1]);
      return {
        healthz: count('gatehouse_http_requests_total\\{route="/healthz",method="GET",status="2xx"\\}'),
        failures: count('gatehouse_logins_total\\{outcome="failure"\\}'),
        throttled: count('gatehouse_logins_total\\{outcome="throttled"\\}'),
      };
    };
    // Two scrapes on connections of their own reach both workers, and agree.
    const first = await scrape();
    const second = await scrape();
    // 21: the 20 above and the one that found the server ready.
    assert.deepEqual(first, { healthz: 21, failures: 3, throttled: 3 });
    assert.deepEqual(second, first);
  });

  it('refuses a revoked token on every worker at once, not only after the store is read again', async () => {
    const login = await request(`${server.url}/token`, form({ username: 'admin', password: 'admin password 1' }));
    assert.equal(login.status, 200, login.body);
    const token = (JSON.parse(login.body) as { access_token: string }).access_token;
    const me = async () => (await request(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } })).status;
    // Both workers verify and cache it.
    for (let i = 0; i < 4; i++) assert.equal(await me(), 200);
    assert.equal((await request(`${server.url}/revoke`, form({ token }))).status, 200);
    // GATEHOUSE_KEY_REFRESH_INTERVAL is an hour here: only the primary's word can have told the other worker.
    for (let i = 0; i < 4; i++) assert.equal(await me(), 401);
  });

  it('starts another worker when one dies, and keeps answering', async () => {
    const [victim] = workersOf(primary);
    assert.ok(victim);
    process.kill(victim, 'SIGKILL');
    const replaced = await poll(() => workersOf(primary), (pids) => pids.length === 2 && !pids.includes(victim), 50);
    assert.equal(replaced.length, 2);
    assert.ok(!replaced.includes(victim), 'a new worker in place of the one killed');
    for (let i = 0; i < 4; i++) assert.equal((await request(`${server.url}/healthz`)).status, 200);
  });

  it('stops every worker and exits 0 on SIGTERM', async () => {
    const workers = workersOf(primary);
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
    server.process.kill('SIGTERM');
    assert.equal(await exited, 0);
    for (const pid of workers) assert.equal(await poll(() => alive(pid), (running) => !running, 50), false, `worker ${pid} exited`);
  });
});

describe('gatehouse serve with workers that cannot start', () => {
  it('gives up after a few failed starts, with a non-zero exit, instead of restarting forever', async () => {
    const dir = tempDir();
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/gatehouse.cjs'), 'serve'], {
        cwd: ROOT,
        env: { PATH: process.env['PATH'] ?? '', GATEHOUSE_DATA_DIR: dir, GATEHOUSE_PORT: String(port), GATEHOUSE_WORKERS: '2', GATEHOUSE_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      assert.equal(code, 1, output);
      assert.match(output, /workers failed to start 3 times in a row/);
      assert.match(output, /EADDRINUSE/);
    } finally {
      squatter.close();
      removeDir(dir);
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { removeDir, runCli, startServer, tempDir, type RunningServer } from '../helpers/server.js';

/** A login from a given client address; the server trusts X-Forwarded-For from 127.0.0.1 only. */
function loginFrom(server: RunningServer, ip: string, username: string, password: string): Promise<Response> {
  return fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
    body: new URLSearchParams({ username, password }),
  });
}

describe('brute-force protection on /token', () => {
  let dir: string;
  let server: RunningServer;
  before(async () => {
    dir = tempDir();
    // A first backoff of 30 s (default 1 s) keeps every answer here inside the block, however slow the machine.
    const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_TRUST_PROXY: '127.0.0.1', GATEHOUSE_IP_MAX_FAILURES: '60', GATEHOUSE_LOGIN_FIRST_BACKOFF: '30s' };
    for (const name of ['JohnDoe', 'victim', 'resetter', 'parallel']) {
      const added = await runCli(['user', 'add', name, '--password-stdin'], env, 'the right password\n');
      assert.equal(added.code, 0, added.stderr);
    }
    server = await startServer(env);
  });
  after(async () => {
    await server?.stop();
    removeDir(dir);
  });

  it('lets no more than threshold + 1 of 50 parallel wrong passwords reach the password check', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => loginFrom(server, `198.51.100.${i + 1}`, 'parallel', `guess-${i}`)));
    const checked = answers.filter((r) => r.status === 400);
    const throttled = answers.filter((r) => r.status === 429);
    assert.equal(checked.length, 6, 'five free failures plus the one that starts the backoff');
    assert.equal(throttled.length, 44);
    const body = (await throttled[0]?.json()) as Record<string, unknown>;
    assert.equal(body['error'], 'slow_down');
    assert.match(String(body['detail']), /^Too many password attempts; try again later$/);
    assert.ok(Number(throttled[0]?.headers.get('retry-after')) >= 1);
    // During the block even the right password is not checked.
    const right = await loginFrom(server, '198.51.100.200', 'parallel', 'the right password');
    assert.equal(right.status, 429);
  });

  it('counts JohnDoe and johndoe as one account', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await loginFrom(server, '192.0.2.1', 'JohnDoe', 'wrong')).status, 400);
    for (let i = 0; i < 3; i++) assert.equal((await loginFrom(server, '192.0.2.2', 'johndoe', 'wrong')).status, 400);
    const seventh = await loginFrom(server, '192.0.2.3', 'JOHNDOE', 'wrong');
    assert.equal(seventh.status, 429, 'the sixth failure started the backoff for every spelling');
  });

  it('does not lock the owner out: an address that logged in before still gets through', async () => {
    assert.equal((await loginFrom(server, '203.0.113.7', 'victim', 'the right password')).status, 200);
    const attack = await Promise.all(Array.from({ length: 20 }, (_, i) => loginFrom(server, `198.18.0.${i + 1}`, 'victim', `guess-${i}`)));
    assert.ok(attack.some((r) => r.status === 429), 'the attacker is held back');
    assert.equal((await loginFrom(server, '198.18.1.1', 'victim', 'the right password')).status, 429, 'a new address is held back too');
    assert.equal((await loginFrom(server, '203.0.113.7', 'victim', 'the right password')).status, 200, 'the owner’s address is not');
  });

  it('resets the account counter after a successful login', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await loginFrom(server, '192.0.2.50', 'resetter', 'wrong')).status, 400);
    assert.equal((await loginFrom(server, '192.0.2.50', 'resetter', 'the right password')).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await loginFrom(server, '192.0.2.51', 'resetter', 'wrong')).status, 400);
  });

  it('limits failures per address, whatever the account', async () => {
    const ip = '192.0.2.99';
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await loginFrom(server, ip, `nobody-${i}`, 'wrong')).status);
    assert.deepEqual(statuses.slice(0, 60), Array(60).fill(400));
    assert.equal(statuses[60], 429);
    assert.equal((await loginFrom(server, '192.0.2.100', 'nobody-x', 'wrong')).status, 400, 'another address is not affected');
  });
});

describe('X-Forwarded-For without a trusted proxy', () => {
  it('is ignored, so a client cannot change its address to dodge the per-address limit', async () => {
    const dir = tempDir();
    const server = await startServer({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_IP_MAX_FAILURES: '10' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await loginFrom(server, `203.0.113.${i + 1}`, `someone-${i}`, 'wrong')).status);
      assert.deepEqual(statuses, [...Array(10).fill(400), 429]);
    } finally {
      await server.stop();
      removeDir(dir);
    }
  });
});

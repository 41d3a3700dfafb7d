import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { login, removeDir, runCli, startServer, tempDir, type RunningServer } from '../helpers/server.js';

describe('HTTP hardening', () => {
  let dir: string;
  let server: RunningServer;
  let token: string;
  before(async () => {
    dir = tempDir();
    const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_CORS_ORIGINS: 'https://app.example.com', GATEHOUSE_REQUEST_TIMEOUT: '2s', GATEHOUSE_TRUST_PROXY: '127.0.0.1' };
    await runCli(['user', 'add', 'johndoe', '--password-stdin'], env, 'correct horse\n');
    server = await startServer(env);
    token = ((await (await login(server.url, 'johndoe', 'correct horse')).json()) as { access_token: string }).access_token;
  });
  after(async () => {
    await server?.stop();
    removeDir(dir);
  });

  it('sends nosniff, no-referrer, DENY framing and a locked-down CSP on API answers', async () => {
    for (const res of [
      await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } }),
      await login(server.url, 'johndoe', 'wrong'),
      await fetch(`${server.url}/nope`),
    ]) {
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.match(res.headers.get('content-security-policy') ?? '', /^default-src 'none'; frame-ancestors 'none'/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
    }
  });

  it('serves /docs with a CSP that allows only this origin', async () => {
    const res = await fetch(`${server.url}/docs/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /https?:/, 'no third-party origin');
  });

  it('sends HSTS when a trusted proxy says the request came over TLS', async () => {
    const res = await fetch(`${server.url}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(res.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains');
  });

  it('allows CORS for configured origins only', async () => {
    const allowed = await fetch(`${server.url}/users/me`, { headers: { origin: 'https://app.example.com', authorization: `Bearer ${token}` } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
    const other = await fetch(`${server.url}/users/me`, { headers: { origin: 'https://evil.example', authorization: `Bearer ${token}` } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const preflight = await fetch(`${server.url}/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    const refused = await fetch(`${server.url}/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
  });

  /** Connects, sends `opening` (if any) and nothing more; resolves how long the server took to close. */
  function msUntilClosed(opening: string | undefined, what: string): Promise<number> {
    const started = Date.now();
    return new Promise<number>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        if (opening !== undefined) socket.write(opening);
      });
      socket.on('data', () => undefined);
      socket.on('close', () => resolve(Date.now() - started));
      socket.on('error', reject);
      setTimeout(() => {
        socket.destroy();
        reject(new Error(`the server kept ${what} open for 15 s`));
      }, 15_000).unref();
    });
  }

  it('cuts off a client that connects and sends nothing', async () => {
    const closedAfter = await msUntilClosed(undefined, 'an idle connection');
    assert.ok(closedAfter < 10_000, `closed after ${closedAfter} ms`);
  });

  it('cuts off a client that sends its headers too slowly (slowloris)', async () => {
    const closedAfter = await msUntilClosed('POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'a stalled request');
    assert.ok(closedAfter < 10_000, `closed after ${closedAfter} ms`);
  });

  it('cuts off a client that stalls in the middle of its body', async () => {
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write('POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=');
      });
      socket.on('data', () => undefined);
      socket.on('close', () => resolve(true));
      socket.on('error', () => resolve(true));
      setTimeout(() => {
        socket.destroy();
        resolve(false);
      }, 15_000).unref();
    });
    assert.ok(closed);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'and keeps serving others');
  });
});

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/log.js';
import { createTestApp, postForm, type TestApp, type TestAppOptions } from '../helpers/app.js';

// GET /users/me is answered ahead of Fastify's router (src/http/fast-path.ts). fastify.inject()
// never reaches that code, so these tests talk real HTTP. They tell which path answered by
// counting the token checks (BearerAuthenticator.authenticate): the route's guard makes one for
// every request that reaches it, unless the early answer handed it a verdict; the early answer
// makes one for a token not in the verified-token cache, none for one that is (a token is
// kept from its second verification on). `/users/me/` (a trailing slash) always goes through
// the route.

interface Answer {
  readonly status: number;
  /** Raw header lines in the order sent, without Date (the clock's). */
  readonly headers: readonly string[];
  readonly body: string;
}

interface Served {
  readonly app: TestApp;
  readonly url: string;
  /** Token checks so far. */
  checks(): number;
  get(authorization: string | undefined, extra?: Record<string, string>, path?: string): Promise<Answer>;
  login(username: string, password: string): Promise<string>;
  close(): Promise<void>;
}

async function serve(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<Served> {
  const app = await createTestApp(env, options);
  const bearer = app.services.bearer;
  const authenticate = bearer.authenticate.bind(bearer);
  let checks = 0;
  bearer.authenticate = (...args) => {
    checks++;
    return authenticate(...args);
  };
  await app.server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    checks: () => checks,
    get: (authorization, extra = {}, path = '/users/me') =>
      new Promise((resolve, reject) => {
        const headers = { ...(authorization === undefined ? {} : { authorization }), ...extra };
        http
          .get({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () => {
              const lines: string[] = [];
              for (let i = 0; i < res.rawHeaders.length; i += 2) {
                if (res.rawHeaders[i] !== 'Date') lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
              }
              resolve({ status: res.statusCode ?? 0, headers: lines, body });
            });
          })
          .on('error', reject);
      }),
    async login(username, password) {
      const res = await postForm(app, '/token', { username, password });
      assert.equal(res.statusCode, 200, res.body);
      return `Bearer ${res.json().access_token as string}`;
    },
    async close() {
      agent.destroy();
      await app.close();
    },
  };
}

describe('GET /users/me ahead of the router', () => {
  let s: Served;
  before(async () => {
    s = await serve();
    await s.app.services.users.create({ username: 'zoe', password: 'correct horse', email: 'zoë@example.com', fullName: 'Zoë "Z" Ångström \\ 東京' });
  });
  after(() => s.close());

  it('answers with the route’s status, headers and body byte for byte: a new token once checked, a known one at once', async () => {
    const route = await s.get(await s.login('zoe', 'correct horse'), {}, '/users/me/');
    assert.equal(route.status, 200, route.body);
    const token = await s.login('zoe', 'correct horse');
    const checks = s.checks();
    const first = await s.get(token);
    assert.equal(s.checks(), checks + 1, 'a new token is checked once, and not again by the route');
    const second = await s.get(token);
    assert.equal(s.checks(), checks + 2, 'verified again, and kept from now on');
    const third = await s.get(token);
    const fourth = await s.get(token);
    assert.equal(s.checks(), checks + 2, 'a token in the cache needs no check');
    for (const answer of [first, second, third, fourth]) assert.deepEqual(answer, route);
    assert.deepEqual(JSON.parse(route.body).full_name, 'Zoë "Z" Ångström \\ 東京');
    assert.ok(route.headers.includes('cache-control: no-store'), route.headers.join('\n'));
    assert.ok(route.headers.includes("content-security-policy: default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"));
  });

  it('hands a token refused by its signature to the route with that verdict: one signature check, the route’s answer', async () => {
    const token = await s.login('zoe', 'correct horse');
    const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(86)}`;
    const checks = s.checks();
    const res = await s.get(forged);
    assert.equal(s.checks(), checks + 1, 'checked once');
    assert.equal(res.status, 401);
    assert.ok(res.headers.includes('www-authenticate: Bearer error="invalid_token"'), res.headers.join('\n'));
    assert.deepEqual(JSON.parse(res.body), { detail: 'Could not validate credentials' });
    assert.deepEqual(res, await s.get(forged, {}, '/users/me/'));
  });

  it('counts its answers in the route’s series of /metrics', async () => {
    const token = await s.login('zoe', 'correct horse');
    const series = 'gatehouse_http_requests_total{route="/users/me",method="GET",status="2xx"}';
    const before = sample(s.app.metrics.render(), series);
    await s.get(token);
    await s.get(token);
    assert.equal(sample(s.app.metrics.render(), series) - before, 2);
  });

  it('shows a changed profile at once', async () => {
    const token = await s.login('zoe', 'correct horse');
    await s.get(token);
    const zoe = await s.app.services.users.getByUsername('zoe');
    await s.app.services.users.update(zoe.id, { email: 'zoe@example.org' });
    const res = await s.get(token);
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).email, 'zoe@example.org');
  });

  it('leaves every other answer to the route: no token, a bad one, a revoked one, a disabled user, a scope taken away', async () => {
    await s.app.services.users.create({ username: 'yann', password: 'correct horse' });
    const token = await s.login('yann', 'correct horse');
    assert.equal((await s.get(token)).status, 200);

    for (const [what, authorization] of [
      ['no token', undefined],
      ['not a bearer token', 'Basic Og=='],
      ['not a JWT', 'Bearer not-a-jwt'],
    ] as const) {
      const res = await s.get(authorization);
      assert.equal(res.status, 401, what);
      assert.deepEqual(res, await s.get(authorization, {}, '/users/me/'), what);
    }

    const yann = await s.app.services.users.getByUsername('yann');
    await s.app.services.users.update(yann.id, { disabled: true });
    let res = await s.get(token);
    assert.equal(res.status, 401);
    assert.deepEqual(JSON.parse(res.body), { detail: 'Could not validate credentials' });
    await s.app.services.users.update(yann.id, { disabled: false });
    assert.equal((await s.get(token)).status, 200);

    await s.app.services.users.update(yann.id, { roles: ['auditor'] });
    res = await s.get(token);
    assert.equal(res.status, 403);
    assert.ok(res.headers.includes('www-authenticate: Bearer error="insufficient_scope", scope="me"'), res.headers.join('\n'));
    await s.app.services.users.update(yann.id, { roles: ['user'] });
    assert.equal((await s.get(token)).status, 200);

    const revoked = await postForm(s.app, '/revoke', { token: token.slice('Bearer '.length) });
    assert.equal(revoked.statusCode, 200, revoked.body);
    res = await s.get(token);
    assert.equal(res.status, 401);
    assert.ok(res.headers.includes('www-authenticate: Bearer error="invalid_token"'));
  });

  it('stops answering a token once it has expired', async () => {
    const token = await s.login('zoe', 'correct horse');
    assert.equal((await s.get(token)).status, 200);
    s.app.clock.advance((s.app.config.accessTokenTtl + 1) * 1000);
    const res = await s.get(token);
    assert.equal(res.status, 401);
    assert.ok(res.headers.includes('www-authenticate: Bearer error="invalid_token"'));
  });
});

describe('GET /users/me when the answer depends on more than the token', () => {
  it('leaves a request with an Origin to the route when CORS is on, and a proxy’s protocol when a proxy is trusted', async () => {
    const s = await serve({ GATEHOUSE_CORS_ORIGINS: 'https://app.example.com', GATEHOUSE_TRUST_PROXY: '127.0.0.1' });
    try {
      await s.app.services.users.create({ username: 'zoe', password: 'correct horse' });
      const token = await s.login('zoe', 'correct horse');
      const plain = await s.get(token);
      const checks = s.checks();
      const cors = await s.get(token, { origin: 'https://app.example.com' });
      assert.ok(cors.headers.includes('access-control-allow-origin: https://app.example.com'), cors.headers.join('\n'));
      assert.ok(cors.headers.includes('vary: Origin'));
      const tls = await s.get(token, { 'x-forwarded-proto': 'https' });
      assert.ok(tls.headers.includes('strict-transport-security: max-age=31536000; includeSubDomains'), tls.headers.join('\n'));
      assert.equal(s.checks(), checks + 2, 'the route checked each');
      assert.deepEqual(await s.get(token), plain);
      assert.equal(s.checks(), checks + 2, 'a request without either is answered ahead of the router');
    } finally {
      await s.close();
    }
  });

  it('leaves every request to the route while requests are logged (level info), so each is logged', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const s = await serve({}, { log: createLogger('info', sink) });
    try {
      await s.app.services.users.create({ username: 'zoe', password: 'correct horse' });
      const token = await s.login('zoe', 'correct horse');
      const checks = s.checks();
      for (let i = 0; i < 3; i++) assert.equal((await s.get(token)).status, 200);
      assert.equal(s.checks(), checks + 3, 'the route checked each');
      const completed = lines.map((line) => JSON.parse(line) as { msg: string; req?: { path?: string } }).filter((l) => l.msg === 'incoming request' && l.req?.path === '/users/me');
      assert.equal(completed.length, 3);
    } finally {
      await s.close();
    }
  });
});

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Counter } from '../../src/http/prometheus.js';
import { basic, createTestApp, postForm, registerClient, type TestApp } from '../helpers/app.js';

/** Samples of a scrape, by series as written (`name{labels}`). */
function samples(text: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    result.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return result;
}

describe('GET /metrics', () => {
  let app: TestApp;
  let scraper: string;
  let admin: string;

  before(async () => {
    app = await createTestApp();
    await app.services.users.create({ username: 'root', password: 'root password', roles: ['admin'] });
    await app.services.users.create({ username: 'alice', password: 'correct horse' });
    const client = await registerClient(app, { name: 'prometheus', scopes: ['metrics'] });
    scraper = (await postForm(app, '/token', { grant_type: 'client_credentials' }, { authorization: basic(client.id, client.secret) })).json().access_token;
    admin = (await postForm(app, '/token', { username: 'root', password: 'root password' })).json().access_token;
  });
  after(() => app.close());

  const scrape = async (): Promise<Map<string, number>> => {
    const res = await app.server.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${scraper}` } });
    assert.equal(res.statusCode, 200, res.body);
    return samples(res.body);
  };
  /** How much each named series grew while `action` ran (the scrape itself is not counted). */
  async function growth(action: () => Promise<void>, series: readonly string[]): Promise<Record<string, number>> {
    const before = await scrape();
    await action();
    const after = await scrape();
    return Object.fromEntries(series.map((s) => [s, (after.get(s) ?? 0) - (before.get(s) ?? 0)]));
  }

  it('answers the Prometheus text format 0.0.4: HELP and TYPE before each family, one sample per line', async () => {
    const res = await app.server.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${scraper}` } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.ok(res.body.endsWith('\n'));
    const declared = new Map<string, string>();
    let help = '';
    for (const line of res.body.trimEnd().split('\n')) {
      const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
      if (comment) {
        if (comment[1] === 'HELP') help = comment[2] ?? '';
        else {
          assert.equal(comment[2], help, `TYPE of ${comment[2]} follows its HELP`);
          assert.match(comment[3] ?? '', /^(counter|gauge)$/);
          declared.set(comment[2] ?? '', comment[3] ?? '');
        }
        continue;
      }
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+="(?:[^"\\\n]|\\.)*"(?:,[a-z_]+="(?:[^"\\\n]|\\.)*")*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/.exec(line);
      assert.ok(sample, `not a sample line: ${line}`);
      assert.ok(declared.has(sample[1] ?? ''), `${sample[1]} has no TYPE before it`);
      if (declared.get(sample[1] ?? '') === 'counter') assert.match(sample[1] ?? '', /_total$/);
    }
    const values = samples(res.body);
    assert.ok((values.get('process_uptime_seconds') ?? -1) >= 0);
    assert.ok((values.get('process_start_time_seconds') ?? 0) > 1.6e9);
    assert.ok((values.get('process_resident_memory_bytes') ?? 0) > 0);
    // The auth counters exist from the start, at 0 when nothing happened yet.
    for (const series of [
      'gatehouse_logins_total{outcome="throttled"}',
      'gatehouse_refresh_reuse_detected_total',
      'gatehouse_tokens_revoked_total{type="access_token"}',
      'gatehouse_tokens_revoked_total{type="refresh_token"}',
    ]) {
      assert.equal(values.get(series), 0, series);
    }
  });

  it('counts HTTP answers by route pattern, method and status class; unmatched paths share one label', async () => {
    const me = 'gatehouse_http_requests_total{route="/users/me",method="GET",status="2xx"}';
    const meDenied = 'gatehouse_http_requests_total{route="/users/me",method="GET",status="4xx"}';
    const user404 = 'gatehouse_http_requests_total{route="/admin/users/:id",method="GET",status="4xx"}';
    const unmatched = 'gatehouse_http_requests_total{route="(unmatched)",method="GET",status="4xx"}';
    const grew = await growth(async () => {
      for (let i = 0; i < 3; i++) await app.server.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${admin}` } });
      await app.server.inject({ method: 'GET', url: '/users/me' });
      await app.server.inject({ method: 'GET', url: '/admin/users/no-such-id', headers: { authorization: `Bearer ${admin}` } });
      await app.server.inject({ method: 'GET', url: '/secret-path-1' });
      await app.server.inject({ method: 'GET', url: '/secret-path-2' });
    }, [me, meDenied, user404, unmatched]);
    assert.deepEqual(grew, { [me]: 3, [meDenied]: 1, [user404]: 1, [unmatched]: 2 });
    const text = (await app.server.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${scraper}` } })).body;
    assert.ok(!text.includes('secret-path') && !text.includes('no-such-id'));
  });

  it('counts login successes and failures', async () => {
    const success = 'gatehouse_logins_total{outcome="success"}';
    const failure = 'gatehouse_logins_total{outcome="failure"}';
    const grew = await growth(async () => {
      await postForm(app, '/token', { username: 'alice', password: 'correct horse' });
      await postForm(app, '/token', { username: 'alice', password: 'wrong' });
      await postForm(app, '/token', { username: 'nobody', password: 'wrong' });
    }, [success, failure]);
    assert.deepEqual(grew, { [success]: 1, [failure]: 2 });
  });

  it('counts refresh rotations and reuse detections', async () => {
    const rotations = 'gatehouse_refresh_rotations_total';
    const reuse = 'gatehouse_refresh_reuse_detected_total';
    const grew = await growth(async () => {
      const first = (await postForm(app, '/token', { username: 'alice', password: 'correct horse' })).json().refresh_token;
      assert.equal((await postForm(app, '/token', { grant_type: 'refresh_token', refresh_token: first })).statusCode, 200);
      assert.equal((await postForm(app, '/token', { grant_type: 'refresh_token', refresh_token: first })).statusCode, 400);
    }, [rotations, reuse]);
    assert.deepEqual(grew, { [rotations]: 1, [reuse]: 1 });
  });

  it('counts revoked tokens by type', async () => {
    const access = 'gatehouse_tokens_revoked_total{type="access_token"}';
    const refresh = 'gatehouse_tokens_revoked_total{type="refresh_token"}';
    const grew = await growth(async () => {
      const login = (await postForm(app, '/token', { username: 'alice', password: 'correct horse' })).json();
      assert.equal((await postForm(app, '/revoke', { token: login.refresh_token })).statusCode, 200);
      assert.equal((await postForm(app, '/revoke', { token: login.access_token })).statusCode, 200);
    }, [access, refresh]);
    assert.deepEqual(grew, { [access]: 1, [refresh]: 1 });
  });

  it('needs the metrics scope: 401 without a token, 403 for an admin token', async () => {
    const anonymous = await app.server.inject({ method: 'GET', url: '/metrics' });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
    assert.deepEqual(anonymous.json(), { detail: 'Not authenticated' });
    const asAdmin = await app.server.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(asAdmin.statusCode, 403);
    assert.equal(asAdmin.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="metrics"');
    assert.deepEqual(asAdmin.json(), { detail: 'Not enough permissions' });
  });

  it('appears in /openapi.json with the metrics scope, declared in the security scheme', async () => {
    const doc = (await app.server.inject('/openapi.json')).json();
    const operation = doc.paths['/metrics'].get;
    assert.deepEqual(operation.security, [{ OAuth2PasswordBearer: ['metrics'] }]);
    assert.deepEqual(operation.responses['200'].content, { 'text/plain': { schema: { type: 'string' } } });
    assert.ok(operation.responses['401'].content['application/json']);
    assert.equal(doc.components.securitySchemes.OAuth2PasswordBearer.flows.password.scopes.metrics, 'Read /metrics (give it to a monitoring client)');
  });
});

describe('Prometheus counter', () => {
  it('escapes label values and help text, and counts on one series object', () => {
    const counter = new Counter('demo_total', 'Help with a \\ and a\nnewline.', ['path']);
    const series = counter.series('a "quoted" \\ path\nwith a newline');
    series.value += 2;
    assert.equal(counter.series('a "quoted" \\ path\nwith a newline'), series);
    assert.equal(
      counter.render(),
      '# HELP demo_total Help with a \\\\ and a\\nnewline.\n# TYPE demo_total counter\ndemo_total{path="a \\"quoted\\" \\\\ path\\nwith a newline"} 2\n',
    );
    assert.equal(new Counter('bare_total', 'No labels.').render(), '# HELP bare_total No labels.\n# TYPE bare_total counter\n');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { login, removeDir, runCli, startServer, tempDir, type RunningServer } from '../helpers/server.js';

// Bounded: each property stops after this long or its run count, whichever comes first.
const TIME_LIMIT_MS = Number(process.env['FUZZ_TIME_LIMIT_MS'] ?? 8000);

const FIELDS = ['grant_type', 'username', 'password', 'scope', 'client_id', 'client_secret', 'refresh_token', 'token', 'token_type_hint'];
const GRANTS = ['password', 'refresh_token', 'client_credentials', 'authorization_code', ''];
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded;;;',
  '',
];

/** Header values fetch can send: visible ASCII and spaces. */
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });
const anyText = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('', ' ', '%', '%00', '\u0000', 'é', '\ud800'));

describe('fuzzing the public endpoints', () => {
  let dir: string;
  let server: RunningServer;
  let token: string;
  let basic: string;
  before(async () => {
    dir = tempDir();
    // Thousands of failed logins from one address are the point here, not a brute-force attempt.
    const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_IP_MAX_FAILURES: '1000000' };
    await runCli(['user', 'add', 'johndoe', '--password-stdin'], env, 'correct horse\n');
    const client = await runCli(['client', 'add', 'fuzzer', '--json'], env);
    const { client_id: id, client_secret: secret } = JSON.parse(client.stdout) as { client_id: string; client_secret: string };
    basic = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    server = await startServer(env);
    token = ((await (await login(server.url, 'johndoe', 'correct horse')).json()) as { access_token: string }).access_token;
  });
  after(async () => {
    await server?.stop();
    removeDir(dir);
  });

  async function expectCleanAnswer(res: Response, what: string): Promise<void> {
    const body = await res.text();
    assert.ok(res.status >= 200 && res.status < 500, `${what}: status ${res.status} ${body}`);
    // RFC 7009 §2.2: a successful revocation may answer 200 with an empty body; every error has a JSON one.
    if (res.status >= 400 || body !== '') {
      assert.match(res.headers.get('content-type') ?? '', /application\/json/, `${what}: not JSON`);
      const parsed = JSON.parse(body) as Record<string, unknown>;
      assert.equal(typeof parsed, 'object');
      assert.ok(!/at .*\.(js|ts):\d+/.test(body), `${what}: stack trace in the body`);
    }
  }

  it('/token answers every random form, content type and Authorization with a 2xx/4xx JSON body', async () => {
    const fields = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 20 })), anyText, { maxKeys: 8 });
    await fc.assert(
      fc.asyncProperty(
        fields,
        fc.constantFrom(...GRANTS),
        fc.constantFrom(...CONTENT_TYPES),
        fc.option(fc.oneof(headerValue, headerValue.map((v) => `Basic ${Buffer.from(v).toString('base64')}`)), { nil: undefined }),
        fc.boolean(),
        async (form, grant, contentType, authorization, raw) => {
          const body = raw ? Object.entries(form).map(([k, v]) => `${k}=${v}`).join('&') : new URLSearchParams({ grant_type: grant, ...form }).toString();
          const headers: Record<string, string> = {};
          if (contentType) headers['content-type'] = contentType;
          if (authorization !== undefined) headers['authorization'] = authorization;
          const res = await fetch(`${server.url}/token`, { method: 'POST', headers, body });
          await expectCleanAnswer(res, `POST /token ${contentType} ${body.slice(0, 80)}`);
        },
      ),
      { numRuns: 400, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  });

  it('/users/me answers every random or mangled token with 200 or 401 and a JSON body', async () => {
    const mangled = fc
      .tuple(fc.nat({ max: token.length - 1 }), fc.constantFrom('A', '-', '_', '.', '=', ' ', '\t'), fc.constantFrom('replace', 'insert', 'cut'))
      .map(([i, c, how]) =>
        how === 'replace' ? token.slice(0, i) + c + token.slice(i + 1) : how === 'insert' ? token.slice(0, i) + c + token.slice(i) : token.slice(0, i),
      );
    const jsonSegments = fc
      .tuple(fc.jsonValue(), fc.jsonValue(), fc.string({ maxLength: 90 }))
      .map(([h, p, s]) => `${Buffer.from(JSON.stringify(h)).toString('base64url')}.${Buffer.from(JSON.stringify(p)).toString('base64url')}.${s}`);
    await fc.assert(
      fc.asyncProperty(fc.oneof(mangled, jsonSegments, headerValue), fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Basic ', ''), async (value, scheme) => {
        const res = await fetch(`${server.url}/users/me`, { headers: { authorization: `${scheme}${value}`.trim() || 'x' } });
        assert.ok(res.status === 200 || res.status === 401, `status ${res.status} for ${scheme}${value.slice(0, 60)}`);
        await expectCleanAnswer(res, 'GET /users/me');
      }),
      { numRuns: 600, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  });

  it('/introspect and /revoke answer every random form and credential with a 2xx/4xx JSON body', async () => {
    const fields = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 20 })), anyText, { maxKeys: 6 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/introspect', '/revoke'),
        fields,
        fc.oneof(fc.constant(token), anyText, fc.constant(undefined)),
        fc.constantFrom(...CONTENT_TYPES),
        fc.oneof(fc.constant(basic), headerValue, fc.constant(undefined)),
        async (path, form, tokenValue, contentType, authorization) => {
          const body = new URLSearchParams(tokenValue === undefined ? form : { ...form, token: tokenValue }).toString();
          const headers: Record<string, string> = {};
          if (contentType) headers['content-type'] = contentType;
          if (authorization !== undefined) headers['authorization'] = authorization;
          const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
          await expectCleanAnswer(res, `POST ${path} ${body.slice(0, 80)}`);
        },
      ),
      { numRuns: 400, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  });

  it('keeps answering afterwards', async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await login(server.url, 'johndoe', 'correct horse')).status, 200);
    const me = await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.ok(me.status === 200 || me.status === 401, 'the token may have been revoked by a random /revoke');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import { kidOf } from '../helpers/issuer.js';
import { jsonObjectOf, login, poll, removeDir, runCli, startServer, tempDir, type RunningServer } from '../helpers/server.js';

/** A fresh data dir with user alice; `env` is what its servers and CLI runs share. */
async function storeWithAlice(settings: Record<string, string>): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = tempDir();
  const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'warn', ...settings };
  const added = await runCli(['user', 'add', 'alice', '--password-stdin'], env, 'correct horse battery\n');
  assert.equal(added.code, 0, added.stderr);
  return { dir, env };
}

/** An access token for alice, who every suite here adds first. */
async function tokenFrom(server: RunningServer): Promise<string> {
  const res = await login(server.url, 'alice', 'correct horse battery');
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
}

describe('gatehouse keys rotate against a running server', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: RunningServer;
  before(async () => {
    ({ dir, env } = await storeWithAlice({ GATEHOUSE_KEY_REFRESH_INTERVAL: '1s' }));
    server = await startServer(env);
  });
  after(async () => {
    await server?.stop();
    removeDir(dir);
  });

  const accessToken = () => tokenFrom(server);

  it('makes the new key current on the running server without a restart; the old key keeps verifying', async () => {
    const before = await accessToken();
    const oldKid = kidOf(before);

    const rotated = await runCli(['keys', 'rotate'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const newKid = rotated.stdout.trim();
    assert.match(newKid, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(newKid, oldKid);

    // The server looks at the store every second; give it a few.
    const after = await poll(accessToken, (token) => kidOf(token) === newKid);
    assert.equal(kidOf(after), newKid);

    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [oldKid, newKid].sort());

    for (const token of [before, after]) {
      const res = await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      const remote = jose.createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      const { protectedHeader } = await jose.jwtVerify(token, remote, { issuer: server.url, audience: server.url, algorithms: ['ES256'] });
      assert.equal(protectedHeader.kid, kidOf(token));
    }

    const { keys } = jsonObjectOf<{ keys: Array<{ kid: string; status: string }> }>(await runCli(['keys', 'list', '--json'], env));
    assert.deepEqual(
      keys.map((k) => [k.kid, k.status]),
      [
        [newKid, 'current'],
        [oldKid, 'retired'],
      ],
    );
  });
});

describe('two instances sharing a store, one of them slow to look for new keys', () => {
  let dir: string;
  let env: Record<string, string>;
  let quick: RunningServer;
  let slow: RunningServer;
  before(async () => {
    // One issuer for both, as behind a load balancer.
    ({ dir, env } = await storeWithAlice({ GATEHOUSE_ISSUER: 'http://gatehouse.test' }));
    quick = await startServer({ ...env, GATEHOUSE_KEY_REFRESH_INTERVAL: '1s' });
    slow = await startServer({ ...env, GATEHOUSE_KEY_REFRESH_INTERVAL: '1h' });
  });
  after(async () => {
    await Promise.all([quick?.stop(), slow?.stop()]);
    removeDir(dir);
  });

  const me = (server: RunningServer, token: string) => fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });

  it('accepts, and revokes, a token signed with a key it has not loaded yet', async () => {
    const rotated = await runCli(['keys', 'rotate'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const newKid = rotated.stdout.trim();
    const revoked = await poll(() => tokenFrom(quick), (token) => kidOf(token) === newKid);
    assert.equal(kidOf(revoked), newKid, 'the quick instance signs with the new key');
    const kept = await tokenFrom(quick);

    // The slow instance would not look at the store for an hour; the first it sees of the new
    // key is a revocation, which must not be taken for an invalid token and ignored.
    const answer = await fetch(`${slow.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: revoked }).toString(),
    });
    assert.equal(answer.status, 200);
    assert.equal((await me(slow, revoked)).status, 401);
    assert.equal((await me(slow, kept)).status, 200);
    assert.equal(kidOf(await tokenFrom(slow)), newKid, 'and it signs with the new key from then on');

    const status = await poll(async () => (await me(quick, revoked)).status, (answer) => answer === 401);
    assert.equal(status, 401, 'the quick instance learns the revocation at its next look');
  });
});

describe('two instances looking for new keys every second', () => {
  let dir: string;
  let env: Record<string, string>;
  let servers: RunningServer[] = [];
  before(async () => {
    ({ dir, env } = await storeWithAlice({ GATEHOUSE_ISSUER: 'http://gatehouse.test', GATEHOUSE_KEY_REFRESH_INTERVAL: '1s' }));
    servers = [await startServer(env), await startServer(env)];
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    removeDir(dir);
  });

  it('both publish a rotated-in key before either signs with it', async () => {
    // Rotated with a 2 s interval in mind: it signs 4 s later, time enough to see it listed as next.
    const rotated = await runCli(['keys', 'rotate'], { ...env, GATEHOUSE_KEY_REFRESH_INTERVAL: '2s' });
    assert.equal(rotated.code, 0, rotated.stderr);
    const newKid = rotated.stdout.trim();
    assert.match(rotated.stderr, /signs from .* \(in 4s, once every running server has loaded it\)/);
    const listed = jsonObjectOf<{ keys: Array<{ kid: string; status: string }> }>(await runCli(['keys', 'list', '--json'], env)).keys;
    assert.deepEqual(listed.map((k) => k.status), ['next', 'current']);
    assert.equal(listed[0]?.kid, newKid);

    const published = async (server: RunningServer) =>
      ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.some((k) => k.kid === newKid);
    const tokens = await poll(
      () => Promise.all(servers.map(tokenFrom)),
      (both) => both.some((token) => kidOf(token) === newKid),
    );
    assert.ok(tokens.some((token) => kidOf(token) === newKid), 'neither server started signing with the new key');
    // The moment either signs with it, an API fetching the JWKS from either one finds it.
    assert.deepEqual(await Promise.all(servers.map(published)), [true, true]);
  });
});

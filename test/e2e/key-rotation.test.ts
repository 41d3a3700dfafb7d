import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import { login, removeDir, runCli, startServer, tempDir, type RunningServer } from '../helpers/server.js';

function kidOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as { kid: string }).kid;
}

describe('gatehouse keys rotate against a running server', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: RunningServer;
  before(async () => {
    dir = tempDir();
    env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'warn', GATEHOUSE_KEY_REFRESH_INTERVAL: '1s' };
    const added = await runCli(['user', 'add', 'alice', '--password-stdin'], env, 'correct horse battery\n');
    assert.equal(added.code, 0, added.stderr);
    server = await startServer(env);
  });
  after(async () => {
    await server?.stop();
    removeDir(dir);
  });

  async function accessToken(): Promise<string> {
    const res = await login(server.url, 'alice', 'correct horse battery');
    assert.equal(res.status, 200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('makes the new key current on the running server without a restart; the old key keeps verifying', async () => {
    const before = await accessToken();
    const oldKid = kidOf(before);

    const rotated = await runCli(['keys', 'rotate'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const newKid = rotated.stdout.trim();
    assert.match(newKid, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(newKid, oldKid);

    // The server looks at the store every second; give it a few.
    const deadline = Date.now() + 10_000;
    let after = await accessToken();
    while (kidOf(after) !== newKid && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      after = await accessToken();
    }
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

    const listed = await runCli(['keys', 'list', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const keys = JSON.parse(listed.stdout) as Array<{ kid: string; status: string }>;
    assert.deepEqual(
      keys.map((k) => [k.kid, k.status]),
      [
        [newKid, 'current'],
        [oldKid, 'retired'],
      ],
    );
  });
});

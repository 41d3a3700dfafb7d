import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pythonMissing, startUvicorn, type PythonServer } from '../helpers/python.js';
import { login, removeDir, ROOT, runCli, startServer, tempDir, type RunningServer } from '../helpers/server.js';

// The tutorial's well-known example secret; any ≥32-byte secret shared by both sides works.
const SECRET_KEY = '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7';
const missing = pythonMissing(['fastapi', 'uvicorn', 'jwt']);

describe('seed compatibility: a FastAPI app verifying tokens as the tutorial does accepts Gatehouse tokens', { skip: missing }, () => {
  let dir: string;
  let gatehouse: RunningServer;
  let fastapi: PythonServer;
  before(async () => {
    dir = tempDir();
    const env = {
      GATEHOUSE_DATA_DIR: dir,
      GATEHOUSE_JWT_ALG: 'HS256',
      GATEHOUSE_JWT_SECRET: SECRET_KEY,
      GATEHOUSE_SUBJECT: 'username',
    };
    const imported = await runCli(['user', 'import', path.join(ROOT, 'test/fixtures/seed-users.json')], env);
    assert.equal(imported.code, 0, imported.stderr);
    gatehouse = await startServer(env);
    fastapi = await startUvicorn(path.join(ROOT, 'examples/fastapi-seed-compat'), 'app:app', { SECRET_KEY });
  });
  after(async () => {
    await fastapi?.stop();
    await gatehouse?.stop();
    removeDir(dir);
  });

  it('opens /users/me on the FastAPI app with a token from POST /token', async () => {
    const res = await login(gatehouse.url, 'johndoe', 'secret');
    assert.equal(res.status, 200);
    const { access_token: token } = (await res.json()) as { access_token: string };
    const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(payload['sub'], 'johndoe');
    assert.equal('aud' in payload, false, 'PyJWT refuses aud when the app names none');
    const me = await fetch(`${fastapi.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { username: string }).username, 'johndoe');
    // The same token works on Gatehouse itself.
    const own = await fetch(`${gatehouse.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(own.status, 200);
  });

  it('is refused by the FastAPI app when signed with another secret', async () => {
    const other = tempDir();
    const env = { GATEHOUSE_DATA_DIR: other, GATEHOUSE_JWT_ALG: 'HS256', GATEHOUSE_JWT_SECRET: 'y'.repeat(40), GATEHOUSE_SUBJECT: 'username' };
    await runCli(['user', 'import', path.join(ROOT, 'test/fixtures/seed-users.json')], env);
    const server = await startServer(env);
    try {
      const { access_token: token } = (await (await login(server.url, 'johndoe', 'secret')).json()) as { access_token: string };
      const me = await fetch(`${fastapi.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(me.status, 401);
    } finally {
      await server.stop();
      removeDir(other);
    }
  });
});

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { login, removeDir, runCli, startServer, tempDir } from '../helpers/server.js';

it('never writes passwords, tokens or client secrets to the log, even at trace level', async () => {
  const dir = tempDir();
  const password = 'Very-Secret-Password-8731';
  const clientSecret = 'client-secret-value-5519';
  try {
    const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'trace' };
    await runCli(['user', 'add', 'logger', '--password-stdin'], env, `${password}\n`);
    const server = await startServer(env);
    let token = '';
    try {
      const res = await login(server.url, 'logger', password);
      assert.equal(res.status, 200);
      token = ((await res.json()) as { access_token: string }).access_token;
      await login(server.url, 'logger', `${password}-wrong`);
      await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
      await fetch(`${server.url}/users/me?access_token=${token}&password=${password}`);
      await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`some-client:${clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_secret: clientSecret }),
      });
      await fetch(`${server.url}/token?password=${password}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: password });
    } finally {
      await server.stop();
    }
    const log = server.output();
    assert.match(log, /incoming request/, 'the log was captured at trace level');
    for (const secret of [password, clientSecret, token, token.split('.')[2] as string]) {
      assert.ok(!log.includes(secret), `the log contains a secret: ${secret.slice(0, 12)}…`);
    }
    assert.ok(!log.includes(Buffer.from(`some-client:${clientSecret}`).toString('base64')), 'the log contains Basic credentials');
  } finally {
    removeDir(dir);
  }
});

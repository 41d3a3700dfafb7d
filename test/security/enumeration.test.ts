import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeDir, runCli, startServer, tempDir, type RunningServer } from '../helpers/server.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

describe('no account enumeration through /token', () => {
  let dir: string;
  let server: RunningServer;
  before(async () => {
    dir = tempDir();
    // Throttling would answer 429 long before enough samples are taken; it is tested elsewhere.
    const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOGIN_FREE_FAILURES: '1000', GATEHOUSE_IP_MAX_FAILURES: '100000' };
    await runCli(['user', 'add', 'present', '--password-stdin'], env, 'the right password\n');
    await runCli(['user', 'add', 'sleeper', '--disabled', '--password-stdin'], env, 'the right password\n');
    // An account brought over from the FastAPI seed, still on its bcrypt-12 hash (of "secret").
    const file = path.join(dir, 'legacy.json');
    writeFileSync(file, JSON.stringify([{ username: 'legacy', hashed_password: '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW' }]));
    assert.equal((await runCli(['user', 'import', file], env)).code, 0);
    server = await startServer(env);
  });
  after(async () => {
    await server?.stop();
    removeDir(dir);
  });

  async function attempt(username: string, password: string): Promise<{ status: number; body: string; ms: number }> {
    const started = process.hrtime.bigint();
    const res = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password }),
    });
    const body = await res.text();
    return { status: res.status, body, ms: Number(process.hrtime.bigint() - started) / 1e6 };
  }

  it('answers unknown user, wrong password and disabled user (even with its right password) alike, in the same time within noise', async () => {
    const cases = {
      wrongPassword: () => attempt('present', 'not the password'),
      unknownUser: () => attempt('absent', 'not the password'),
      disabledUser: () => attempt('sleeper', 'the right password'),
      // A bcrypt-12 verify costs several argon2id ones: without the wait, the others answer
      // in a fraction of its time, which tells the imported accounts from unknown names.
      legacyWrongPassword: () => attempt('legacy', 'not the password'),
    };
    const times: Record<string, number[]> = { wrongPassword: [], unknownUser: [], disabledUser: [], legacyWrongPassword: [] };
    const bodies = new Set<string>();
    // Interleaved, so drift in machine load hits every case alike.
    for (let round = 0; round < 15; round++) {
      for (const [name, run] of Object.entries(cases)) {
        const result = await run();
        assert.equal(result.status, 400, name);
        bodies.add(result.body);
        times[name]?.push(result.ms);
      }
    }
    assert.equal(bodies.size, 1, `one body for all four: ${[...bodies].join(' | ')}`);
    const reference = median(times['legacyWrongPassword'] as number[]);
    for (const name of ['wrongPassword', 'unknownUser', 'disabledUser']) {
      const ratio = median(times[name] as number[]) / reference;
      // An argon2id verify (~15–30 ms) answered at once would show as a ratio near 0.1, and no
      // verify at all near 0.01. The band is wide because a loaded 2-core machine makes medians noisy.
      assert.ok(ratio > 0.4 && ratio < 2.5, `${name} took ${ratio.toFixed(2)}× the time of a wrong password for a bcrypt account`);
    }
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

const root = path.resolve(import.meta.dirname, '..', '..');

interface Run {
  readonly rps: number;
  readonly ok: number;
  readonly non2xx: number;
}

/**
 * `npm run bench` end to end, as short as it goes: every contender that needs no Python starts,
 * every scenario runs against it and the figures are written. No figure is judged here (speed is
 * the bench's business, not the suite's); this only holds that the bench still works.
 */
describe('bench: a smoke run', { timeout: 260_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-'));
  const results = path.join(dir, 'results.json');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every scenario on Gatehouse and the Node peers and writes their figures', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BENCH_RESULTS: results,
      BENCH_CONTENDERS: 'hello,port,gatehouse',
      BENCH_DURATION: '0.2',
      BENCH_ROUNDS: '1',
      BENCH_WARMUP: '0',
      BENCH_LOGIN_WARMUP: '1',
      BENCH_COLD_STARTS: '1',
      BENCH_QUIET_WAIT: '0',
    };
    for (const name of Object.keys(env)) if (name.startsWith('GATEHOUSE_')) delete env[name];
    const child = spawn(process.execPath, [path.join(root, 'bench', 'run.mjs')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Stopped here rather than by the runner's timeout, so that a stuck run ends its servers
    // (the bench's own cleanup on SIGTERM) and the failure shows where it stood.
    let stuck = false;
    const timer = setTimeout(() => {
      stuck = true;
      child.kill('SIGTERM');
    }, 200_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    assert.ok(!stuck, `the bench did not finish in 200 s; its last lines:\n${stderr.split('\n').slice(-30).join('\n')}`);
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /FAILED|bench failed/);
    assert.match(stdout, /## goals/);
    assert.match(stderr, /bench: load from autocannon 8 .*; logins: (wrk \S+, run by that process|autocannon too \(no wrk installed\))/);
    assert.match(stderr, /warm-up 0 s \(logins: 1 s\)/);
    assert.match(stdout, /Resource-server guard/);

    const { figures } = JSON.parse(readFileSync(results, 'utf8')) as { figures: Record<string, Record<string, unknown>> };
    const served = (run: unknown, what: string): void => {
      const r = run as Run | undefined;
      assert.ok(r && r.ok > 0 && r.rps > 0, `${what}: no answers`);
      assert.equal(r.non2xx, 0, `${what}: refused requests`);
    };
    for (const id of ['hello', 'port', 'gatehouse']) served(figures['me']?.[id], `me/${id}`);
    for (const id of ['port', 'gatehouse']) {
      served(figures['cold']?.[id], `cold/${id}`);
      served(figures['login']?.[id], `login/${id}`);
    }
    served(figures['refresh']?.['gatehouse'], 'refresh/gatehouse');
    const storm = figures['storm']?.['gatehouse'] as { me: Run; login: Run } | undefined;
    served(storm?.me, 'storm/gatehouse me');
    served(storm?.login, 'storm/gatehouse login');
    const memory = figures['memory']?.['gatehouse'] as { rssMB: number } | undefined;
    assert.ok(memory && memory.rssMB > 0);
    const start = figures['coldStart']?.['gatehouse'] as { runsMs: number[] } | undefined;
    assert.equal(start?.runsMs.length, 1);
    const goals = figures['goals'] as unknown as { id: string; value: number | null }[];
    for (const id of ['me_vs_hello', 'me_vs_port', 'cold_vs_es256', 'login_vs_hash']) {
      assert.equal(typeof goals.find((g) => g.id === id)?.value, 'number', `goal ${id} has no figure`);
    }
    // The project's own ES256 check is measured beside node:crypto's verify (the addon is built by npm ci).
    const es256 = (figures['ceilings'] as unknown as { es256: { micros: number; ownKeyMicros?: number } }).es256;
    assert.ok(es256.ownKeyMicros !== undefined && es256.ownKeyMicros > 0 && es256.micros > 0);
    assert.match(stdout, /Gatehouse's check of its own tokens/);
  });
});

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..', '..');
const benchModule = (name: string): Promise<unknown> => import(pathToFileURL(path.join(root, 'bench', name)).href);
const { findWrk } = (await benchModule('wrk.mjs')) as { findWrk: (env?: object) => { version: string } | undefined };
const { LoadGenerator } = (await benchModule('load.mjs')) as { LoadGenerator: new () => LoadGenerator };

interface Result {
  readonly ok: number;
  readonly non2xx: number;
  readonly statusCodes: Record<string, number>;
  readonly rps: number;
  readonly seconds: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  readonly generator?: string;
}
interface LoadGenerator {
  run(pid: number, ...specs: object[]): Promise<{ results: Result[]; loadgenCpu: number; serverCpu: number | null }>;
  close(): void;
}

/**
 * The login load of the bench, through each generator this machine has (autocannon always, wrk
 * when installed): every answer is counted by its status, the 2xx apart, over the run's time.
 */
describe('bench: the login load generators', { timeout: 60_000 }, () => {
  let server: Server;
  let url: string;
  const bodies: string[] = [];
  before(async () => {
    let n = 0;
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        bodies.push(`${request.method} ${request.url} ${request.headers['content-type']} ${body}`);
        // Every fourth answer refused, so refusals must be counted apart.
        const status = ++n % 4 === 0 ? 429 : 200;
        response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function loadWith(wrk: '0' | '1'): Promise<{ result: Result; loadgenCpu: number }> {
    const saved = process.env['BENCH_WRK'];
    process.env['BENCH_WRK'] = wrk; // read by the forked generator at its start
    const load = new LoadGenerator();
    if (saved === undefined) delete process.env['BENCH_WRK'];
    else process.env['BENCH_WRK'] = saved;
    try {
      bodies.length = 0;
      const spec = { kind: 'form', title: 'login', url, path: '/token', body: 'grant_type=password&username=u&password=p%26q', connections: 2, duration: 1 };
      const { results, loadgenCpu } = await load.run(process.pid, spec);
      return { result: results[0]!, loadgenCpu };
    } finally {
      load.close();
    }
  }

  const generators: Array<'0' | '1'> = findWrk({}) ? ['0', '1'] : ['0'];
  for (const wrk of generators) {
    it(`counts 2xx and refusals apart (${wrk === '1' ? 'wrk' : 'autocannon'})`, async () => {
      const { result, loadgenCpu } = await loadWith(wrk);
      assert.equal(result.generator?.startsWith('wrk '), wrk === '1' ? true : undefined);
      const answered = result.ok + result.non2xx;
      assert.ok(answered >= 20, `only ${answered} answers in a second`);
      // Each connection's last request may be cut off by the end of the run, unanswered.
      assert.ok(bodies.length >= answered && bodies.length <= answered + 2, `${answered} answers of ${bodies.length} requests`);
      assert.equal(result.statusCodes['429'], result.non2xx);
      assert.equal(result.statusCodes['200'], result.ok);
      assert.ok(Math.abs(result.non2xx - answered / 4) <= 2, `${result.non2xx} refusals of ${answered}`);
      assert.ok(result.seconds > 0.8 && result.seconds < 1.5, `ran ${result.seconds} s`);
      assert.ok(Math.abs(result.rps - result.ok / result.seconds) < 1e-6);
      assert.ok(result.latencyMs.p50 > 0 && result.latencyMs.p99 >= result.latencyMs.p50);
      assert.ok(loadgenCpu > 0);
      assert.deepEqual(new Set(bodies), new Set(['POST /token application/x-www-form-urlencoded grant_type=password&username=u&password=p%26q']));
    });
  }
});

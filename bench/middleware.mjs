// Resource-server case of the benchmark: GET /hello through each guard
// (gatehouse/fastify, gatehouse/express, gatehouse/hono) against the same route unprotected.
//
//   node bench/middleware.mjs [--duration S] [--connections N] [--rounds R] [--frameworks fastify,express,hono] [--json]
//
// or, from another script:  import { runMiddlewareBench } from './middleware.mjs'
//
// Self-contained: an in-process issuer on loopback serves RFC 8414 metadata and a JWKS
// (ES256, like Gatehouse's default), so the guards discover and fetch keys exactly as in
// production; one token is reused (a client with a live token: verified-token cache hits),
// and a third column turns the cache off (an ES256 signature check on every request).
// Each API runs in its own child process; autocannon loads it from this one. Modes take
// turns for R rounds and the median is kept, so a noisy neighbour skews no single column.
// Besides req/s, each API reports the CPU time it spent per request (process.cpuUsage):
// on a shared machine that figure holds still when throughput does not.
import { fork } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SELF = fileURLToPath(import.meta.url);
export const FRAMEWORKS = ['fastify', 'express', 'hono'];
/** open: no guard; guarded: requireScopes('hello'); nocache: the same with cacheSize 0. */
export const MODES = ['open', 'guarded', 'nocache'];

/**
 * Runs the whole case and returns one row per framework:
 * `{ framework, open, guarded, nocache, ratio, ratioNoCache, cpu: { open, guarded, nocache } }`
 * — requests per second (median over the rounds of each run's mean), guarded ÷ open, and
 * the API's CPU microseconds per request (median). `log` receives progress lines
 * (default: stderr).
 */
export async function runMiddlewareBench({
  duration = 5,
  connections = 50,
  rounds = 3,
  frameworks = FRAMEWORKS,
  log = (line) => process.stderr.write(`${line}\n`),
} = {}) {
  const { default: autocannon } = await import('autocannon');
  if (!existsSync(new URL('../dist/middleware/core.js', import.meta.url))) throw new Error('the build is missing; run `npm run build` first');
  const issuer = await startIssuer();
  try {
    const rows = [];
    for (const framework of frameworks) {
      const samples = Object.fromEntries(MODES.map((mode) => [mode, []]));
      const cpuSamples = Object.fromEntries(MODES.map((mode) => [mode, []]));
      for (let round = 1; round <= rounds; round++) {
        for (const mode of MODES) {
          const api = await startApi(framework, mode, issuer.url);
          try {
            const request = { url: `${api.url}/hello`, connections, headers: mode === 'open' ? {} : { authorization: `Bearer ${issuer.token}` } };
            await autocannon({ ...request, duration: 1 }); // warm-up: JIT, JWKS fetch, cache fill
            await api.startCpu();
            const result = await autocannon({ ...request, duration });
            const cpuMicros = await api.stopCpu();
            if (result.non2xx > 0 || result.errors > 0) throw new Error(`${framework}/${mode}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
            const perRequest = cpuMicros / result.requests.total;
            samples[mode].push(result.requests.average);
            cpuSamples[mode].push(perRequest);
            log(
              `${framework.padEnd(8)} ${mode.padEnd(8)} round ${round}: ${String(Math.round(result.requests.average)).padStart(7)} req/s  p99 ${result.latency.p99} ms  ${perRequest.toFixed(1)} µs CPU/request`,
            );
          } finally {
            await api.stop();
          }
        }
      }
      const row = { framework, ...Object.fromEntries(MODES.map((mode) => [mode, Math.round(median(samples[mode]))])) };
      row.ratio = twoDecimals(row.guarded / row.open);
      row.ratioNoCache = twoDecimals(row.nocache / row.open);
      row.cpu = Object.fromEntries(MODES.map((mode) => [mode, Math.round(median(cpuSamples[mode]) * 10) / 10]));
      rows.push(row);
    }
    return rows;
  } finally {
    await issuer.stop();
  }
}

export function formatTable(rows, { duration, connections, rounds }) {
  const lines = [
    `Resource-server guard: GET /hello, ${connections} connections, ${duration} s per run, median of ${rounds} rounds, loopback`,
    'framework   open req/s   guarded req/s   ratio   guarded, no cache req/s   ratio',
  ];
  for (const r of rows) {
    lines.push(
      `${r.framework.padEnd(10)}  ${String(r.open).padStart(10)}   ${String(r.guarded).padStart(13)}   ${r.ratio.toFixed(2).padStart(5)}   ${String(r.nocache).padStart(23)}   ${r.ratioNoCache.toFixed(2).padStart(5)}`,
    );
  }
  lines.push('', 'API CPU time per request (µs)', 'framework   open   guarded   added   guarded, no cache   added');
  for (const { framework, cpu } of rows) {
    lines.push(
      `${framework.padEnd(10)}  ${cpu.open.toFixed(1).padStart(4)}   ${cpu.guarded.toFixed(1).padStart(7)}   ${(cpu.guarded - cpu.open).toFixed(1).padStart(5)}   ${cpu.nocache.toFixed(1).padStart(17)}   ${(cpu.nocache - cpu.open).toFixed(1).padStart(5)}`,
    );
  }
  return lines.join('\n');
}

function twoDecimals(x) {
  return Math.round(x * 100) / 100;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** RFC 8414 metadata + JWKS on loopback, and one ES256 at+jwt access token it issued. */
async function startIssuer() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = 'bench-key';
  const server = createServer((req, res) => {
    const url = `http://127.0.0.1:${server.address().port}`;
    const body =
      req.url === '/.well-known/oauth-authorization-server'
        ? { issuer: url, jwks_uri: `${url}/.well-known/jwks.json`, token_endpoint: `${url}/token` }
        : req.url === '/.well-known/jwks.json'
          ? { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] }
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' });
    res.end(JSON.stringify(body ?? { detail: 'Not Found' }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const now = Math.floor(Date.now() / 1000);
  const segment = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${segment({ alg: 'ES256', typ: 'at+jwt', kid })}.${segment({
    iss: url,
    sub: 'bench-user',
    aud: url,
    exp: now + 3600,
    iat: now,
    jti: randomUUID(),
    scope: 'hello',
    client_id: 'bench',
    preferred_username: 'bench',
  })}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return {
    url,
    token: `${input}.${signature}`,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Forks this file as the API process; resolves once it listens. */
function startApi(framework, mode, issuer) {
  return new Promise((resolve, reject) => {
    const child = fork(SELF, ['--serve', framework, '--mode', mode, '--issuer', issuer], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${framework}/${mode} API exited with ${code}`)));
    const reply = (type) => new Promise((done) => child.once('message', (message) => done(message[type])));
    child.once('message', ({ port }) =>
      resolve({
        url: `http://127.0.0.1:${port}`,
        startCpu: () => {
          child.send('start');
          return reply('started');
        },
        stopCpu: () => {
          child.send('stop');
          return reply('cpu');
        },
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      }),
    );
  });
}

/** The API process: one framework, guarded or not, GET /hello. */
async function serve(framework, mode, issuer) {
  const options = { issuer, ...(mode === 'nocache' ? { cacheSize: 0 } : {}) };
  const hello = { hello: 'world' };
  let port;
  if (framework === 'fastify') {
    const { default: Fastify } = await import('fastify');
    const { gatehouse, requireScopes } = await import('gatehouse/fastify');
    const app = Fastify();
    if (mode !== 'open') await app.register(gatehouse, options);
    app.get('/hello', mode === 'open' ? {} : { preHandler: requireScopes('hello') }, async () => hello);
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = app.server.address().port;
  } else if (framework === 'express') {
    const { default: express } = await import('express');
    const { createGuard } = await import('gatehouse/express');
    const app = express();
    const handler = (_req, res) => res.json(hello);
    if (mode === 'open') app.get('/hello', handler);
    else app.get('/hello', createGuard(options).requireScopes('hello'), handler);
    port = await new Promise((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server.address().port));
    });
  } else if (framework === 'hono') {
    const { Hono } = await import('hono');
    const { serve: serveHono } = await import('@hono/node-server');
    const { createGuard } = await import('gatehouse/hono');
    const app = new Hono();
    const handler = (c) => c.json(hello);
    if (mode === 'open') app.get('/hello', handler);
    else app.get('/hello', createGuard(options).requireScopes('hello'), handler);
    port = await new Promise((resolve) => {
      serveHono({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(info.port));
    });
  } else {
    throw new Error(`unknown framework ${framework}`);
  }
  process.once('SIGTERM', () => process.exit(0));
  let mark;
  process.on('message', (message) => {
    if (message === 'start') {
      mark = process.cpuUsage();
      process.send({ started: true });
    } else if (message === 'stop') {
      const used = process.cpuUsage(mark);
      process.send({ cpu: used.user + used.system });
    }
  });
  process.send({ port });
}

const isMain = process.argv[1] === SELF;
if (isMain) {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      mode: { type: 'string', default: 'guarded' },
      issuer: { type: 'string' },
      duration: { type: 'string', default: '5' },
      connections: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '3' },
      frameworks: { type: 'string', default: FRAMEWORKS.join(',') },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.serve) {
    await serve(values.serve, values.mode, values.issuer);
  } else {
    const settings = { duration: Number(values.duration), connections: Number(values.connections), rounds: Number(values.rounds) };
    const frameworks = values.frameworks.split(',').filter((f) => FRAMEWORKS.includes(f));
    const rows = await runMiddlewareBench({ ...settings, frameworks });
    process.stdout.write(values.json ? `${JSON.stringify({ case: 'middleware', ...settings, rows })}\n` : `${formatTable(rows, settings)}\n`);
  }
}

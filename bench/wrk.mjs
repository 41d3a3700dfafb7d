// Logins through wrk (when installed) instead of autocannon: a login spends 12 ms or more of a
// core hashing, and whatever the load generator spends per request comes out of the same two
// cores. autocannon spent 0.05 cores at 135 logins/s here (0.37 ms per login), wrk 0.01.
// Same keep-alive closed loop: each connection sends its next request when the last is answered.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The wrk on PATH, unless BENCH_WRK=0; undefined when there is none. */
export function findWrk(env = process.env) {
  if (env.BENCH_WRK === '0') return undefined;
  const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  const version = /^wrk (\S+)/.exec(probe.stdout ?? '')?.[1];
  return probe.error || !version ? undefined : { command: 'wrk', version };
}

const MARK = 'BENCH-RESULT ';

/*
 * Counts the answers by status in each thread and prints one JSON line at the end: statuses,
 * the summary's errors, and latency in µs (wrk's histogram: every answer, not only the 2xx).
 */
const script = (body) => `
wrk.method = "POST"
wrk.body = [==[${body}]==]
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) codes = {} end
function response(status, headers, body) codes[status] = (codes[status] or 0) + 1 end
function done(summary, latency, requests)
  local parts = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("codes")) do parts[#parts + 1] = string.format('"%d":%d', status, n) end
  end
  local e = summary.errors
  io.write(string.format('\\n${MARK}{"durationUs":%d,"requests":%d,"errors":%d,"timeouts":%d,"codes":{%s},"latencyUs":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d}}\\n',
    summary.duration, summary.requests, e.connect + e.read + e.write, e.timeout, table.concat(parts, ","),
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
`;

/**
 * A `form` spec (see loadgen.mjs) through wrk: `launch()` resolves the same result fields as
 * the autocannon path. wrk takes whole seconds; `instance.stop()` ends it early (SIGINT: it
 * still reports what it did).
 */
export function prepareWrk(spec, wrk) {
  if (/\]==\]/.test(spec.body)) throw new Error('form body not usable in the wrk script');
  const seconds = Math.max(1, Math.round(spec.duration));
  const launch = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-wrk-'));
    const file = path.join(dir, 'form.lua');
    writeFileSync(file, script(spec.body));
    const child = spawn(wrk.command, ['-t1', `-c${spec.connections}`, `-d${seconds}s`, `--timeout`, `${spec.timeout ?? 10}s`, '-s', file, `${spec.url}${spec.path}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const result = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => {
        rmSync(dir, { recursive: true, force: true });
        const line = out.split('\n').find((l) => l.startsWith(MARK));
        if (!line) return reject(new Error(`wrk ended (${code ?? signal}) without a result: ${(err || out).trim().slice(-300)}`));
        const r = JSON.parse(line.slice(MARK.length));
        let ok = 0;
        for (const [status, n] of Object.entries(r.codes)) if (status >= 200 && status < 300) ok += n;
        const ms = (us) => us / 1000;
        const secondsRun = r.durationUs / 1e6;
        resolve({
          title: spec.title,
          ok,
          non2xx: r.requests - ok,
          errors: r.errors,
          timeouts: r.timeouts,
          statusCodes: r.codes,
          seconds: secondsRun,
          rps: ok / secondsRun,
          latencyMs: { p50: ms(r.latencyUs.p50), p90: ms(r.latencyUs.p90), p99: ms(r.latencyUs.p99), max: ms(r.latencyUs.max), mean: ms(r.latencyUs.mean) },
          generator: `wrk ${wrk.version}`,
        });
      });
    });
    return { instance: { stop: () => child.exitCode === null && child.kill('SIGINT') }, result };
  };
  return { launch };
}

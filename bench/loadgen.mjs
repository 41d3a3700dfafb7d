// The load generator: a child process (forked by load.mjs) that runs autocannon against
// 127.0.0.1 (logins: wrk when installed, see wrk.mjs) and answers one summary per load spec
// over IPC. It owns its own core-time, so what it costs is measured apart from the orchestrator. The core use of the server, of the
// generator and of the machine is read here too, right before the first connection and right
// after the last answer, so that it covers the load alone (see launch below).
//
// Spec kinds (all keep-alive, pipelining 1, closed loop):
//   bearer  GET spec.path with "Authorization: Bearer <token>", tokens taken round-robin from
//           spec.tokens by all connections; with spec.consume every token is sent once
//           (requests past the pool are counted as `reused`).
//   form    POST spec.path with a fixed urlencoded body (logins).
//   refresh POST /token grant_type=refresh_token, one rotating chain per connection starting
//           at spec.refreshTokens[i]; a broken chain continues from spec.spares. The access
//           tokens issued are handed back (spec.collect) for the cold-verification pool.
// Several specs in one message run at once; the first one sets the length, the others stop
// when it ends (login storm + /users/me).
import autocannon from 'autocannon';
import { childrenCpuSeconds, cpuSecondsOf, machineBusySeconds } from './processes.mjs';
import { findWrk, prepareWrk } from './wrk.mjs';

const wrk = findWrk();

const FORM = 'application/x-www-form-urlencoded';

class Latencies {
  constructor() {
    this.values = new Float64Array(1 << 16);
    this.n = 0;
  }
  add(ms) {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = ms;
  }
  summary() {
    const sorted = this.values.subarray(0, this.n).sort();
    const at = (q) => (this.n === 0 ? null : sorted[Math.min(this.n - 1, Math.floor(q * this.n))]);
    let sum = 0;
    for (const v of sorted) sum += v;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), mean: this.n ? sum / this.n : null };
  }
}

function bearerClients(spec, host, extra) {
  const head = `GET ${spec.path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\nAuthorization: Bearer `;
  const buffers = spec.tokens.map((t) => Buffer.from(`${head}${t}\r\n\r\n`, 'latin1'));
  let next = 0;
  extra.reused = 0;
  return (client) => {
    if (typeof client.getRequestBuffer !== 'function') throw new Error('autocannon Client has no getRequestBuffer (not v8?)');
    // Prebuilt requests: no per-request building in the load generator, same cost for every contender.
    client.getRequestBuffer = () => {
      const i = next++;
      if (spec.consume && i >= buffers.length) extra.reused++;
      return buffers[i % buffers.length];
    };
  };
}

function refreshClients(spec, host, extra) {
  const head = `POST /token HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\nContent-Type: ${FORM}\r\nContent-Length: `;
  const spares = [...(spec.spares ?? [])];
  let index = 0;
  extra.chainBreaks = 0;
  extra.accessTokens = [];
  return (client) => {
    let rt = spec.refreshTokens[index++ % spec.refreshTokens.length];
    client.setRequests([
      {
        method: 'POST',
        path: '/token',
        onResponse(status, body) {
          if (status === 200) {
            try {
              const answer = JSON.parse(body);
              rt = answer.refresh_token;
              if (spec.collect) extra.accessTokens.push(answer.access_token);
              return;
            } catch {
              /* fall through: treat as a break */
            }
          }
          extra.chainBreaks++;
          rt = spares.pop() ?? rt;
        },
      },
    ]);
    client.getRequestBuffer = () => {
      const body = `grant_type=refresh_token&refresh_token=${encodeURIComponent(rt)}`;
      return Buffer.from(`${head}${Buffer.byteLength(body)}\r\n\r\n${body}`, 'latin1');
    };
  };
}

/** The autocannon options and result bookkeeping of one spec: everything but the network. */
function prepare(spec) {
  const url = new URL(spec.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to load ${url.hostname}: loopback only`);
  if (spec.kind === 'form' && wrk && !spec.amount) return prepareWrk(spec, wrk);
  const latencies = new Latencies();
  const statusCodes = {};
  const extra = {};
  let ok = 0;
  let non2xx = 0;
  let first = null;
  let last = null;

  const opts = { url: spec.url, connections: spec.connections, pipelining: 1, timeout: spec.timeout ?? 10 };
  if (spec.amount) opts.amount = spec.amount;
  else opts.duration = spec.duration;
  if (spec.kind === 'bearer') opts.setupClient = bearerClients(spec, url.host, extra);
  else if (spec.kind === 'refresh') opts.setupClient = refreshClients(spec, url.host, extra);
  else if (spec.kind === 'form') {
    opts.method = 'POST';
    opts.requests = [{ method: 'POST', path: spec.path, headers: { 'content-type': FORM }, body: spec.body }];
  } else throw new Error(`unknown load kind ${spec.kind}`);
  let answered = 0;
  // Everything above is built before the load is timed; launch opens the connections.
  // `onLastAnswer` runs when the last of `amount` requests is answered: autocannon itself
  // notices only at its next whole-second tick (up to 1 s later; seen here: 0.94–0.99 s).
  const launch = (onLastAnswer) => {
    const t0 = performance.now();
    let instance;
    const done = new Promise((resolve, reject) => {
      instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    });
    instance.on('response', (client, statusCode, resBytes, responseTime) => {
      if (spec.amount && ++answered === spec.amount) {
        onLastAnswer?.();
        instance.stop();
      }
      last = performance.now();
      first ??= last - responseTime;
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        latencies.add(responseTime);
      } else non2xx++;
    });
    const result = done.then((r) => {
      const seconds = first !== null && last > first ? (last - first) / 1000 : (performance.now() - t0) / 1000;
      return {
        title: spec.title,
        ok,
        non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        statusCodes,
        seconds,
        rps: ok / seconds,
        latencyMs: latencies.summary(),
        ...extra,
      };
    });
    return { instance, result };
  };
  return { launch };
}

/** Cores busy over the load: `serverPid`'s (null when unreadable), this process's, and the rest of the machine's. */
function coresFrom(serverPid) {
  const server0 = cpuSecondsOf(serverPid);
  const busy0 = machineBusySeconds();
  const own0 = process.cpuUsage();
  const children0 = childrenCpuSeconds();
  const t0 = performance.now();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const own = process.cpuUsage(own0);
    const server1 = cpuSecondsOf(serverPid);
    const busy1 = machineBusySeconds();
    const loadgenCpu = ((own.user + own.system) / 1e6 + childrenCpuSeconds() - children0) / wall;
    const serverCpu = server0 === null || server1 === null ? null : (server1 - server0) / wall;
    const otherCpu = busy0 === null || busy1 === null || serverCpu === null ? null : Math.max(0, (busy1 - busy0) / wall - serverCpu - loadgenCpu);
    return { serverCpu, loadgenCpu, otherCpu };
  };
}

process.on('message', async ({ id, specs, serverPid }) => {
  try {
    const prepared = specs.map(prepare);
    const cores = coresFrom(serverPid);
    let usage;
    const loadEnded = () => (usage ??= cores());
    const runs = prepared.map((p, i) => p.launch(i === 0 ? loadEnded : undefined));
    const primary = await runs[0].result;
    loadEnded();
    for (const run of runs.slice(1)) run.instance.stop();
    const others = await Promise.all(runs.slice(1).map((run) => run.result));
    process.send({ id, results: [primary, ...others], ...usage });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));

// Child processes of the bench: spawn with logs to a file, free loopback ports, readiness
// polling, /proc figures, and one registry so that every child dies with the bench
// (normal end, error, Ctrl-C or SIGTERM).
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import http from 'node:http';

export const HOST = '127.0.0.1';
const live = new Set();
let cleaningUp = false;

/** Spawns `command args` with stdout+stderr appended to `logFile`; the child is tracked until it exits. */
export function spawnTracked(command, args, { cwd, env, logFile, stdin = 'ignore' }) {
  if (cleaningUp) throw new Error('the bench is stopping');
  const fd = openSync(logFile, 'a');
  let child;
  try {
    child = spawn(command, args, { cwd, env, stdio: [stdin, fd, fd] });
  } finally {
    closeSync(fd);
  }
  live.add(child);
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      live.delete(child);
      resolve({ code: null, signal: null, error });
    });
  });
  return child;
}

/** Adds a child made elsewhere (the load generator's fork) to the registry. */
export function track(child) {
  if (cleaningUp) {
    child.kill('SIGKILL');
    throw new Error('the bench is stopping');
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs` if it is still there. */
export async function stop(child, graceMs = 2000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = child.exited ?? new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAll() {
  await Promise.all([...live].map((child) => stop(child)));
}

/** Last resort from 'exit' handlers: synchronous SIGKILL of whatever is left. */
export function killAllNow() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Installs the handlers that end every child on Ctrl-C, SIGTERM, an uncaught error or exit. */
export function installCleanup(onSignal = () => {}) {
  process.once('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, async () => {
      if (cleaningUp) return;
      cleaningUp = true;
      process.stderr.write(`\nbench: ${signal}, stopping ${live.size} child process(es)\n`);
      await Promise.race([stopAll(), new Promise((r) => setTimeout(r, 3000))]);
      onSignal(signal);
      process.exit(130);
    });
  }
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One GET on a fresh connection; resolves the status code, or 0 when nothing answered. */
export function probe(port, path, headers = {}) {
  return new Promise((resolve) => {
    const req = http.get({ host: HOST, port, path, headers, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}

/**
 * Polls until `path` answers 200. Resolves ms since `t0` (a performance.now() value);
 * rejects when the child exits or `timeoutMs` passes.
 */
export async function waitReady(child, port, path, { t0, headers, timeoutMs = 20_000, everyMs = 5 }) {
  let exited = null;
  child.exited.then((info) => (exited = info));
  for (;;) {
    if (exited) throw new Error(`exited before it was ready (${exited.error?.message ?? `code ${exited.code}, signal ${exited.signal}`})`);
    if ((await probe(port, path, headers)) === 200) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`no 200 on ${path} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Core-seconds of this process's children: those still running (with theirs) and those that
 * ended and were reaped (the kernel adds theirs to ours then). For a load generator that runs
 * another program (wrk) to be measured with it.
 */
export function childrenCpuSeconds() {
  const [self, ...descendants] = treeOf(process.pid);
  const reaped = statFields(self, 13, 14); // cutime, cstime
  return descendants.reduce((sum, pid) => sum + (statFields(pid, 11, 12) ?? 0), reaped ?? 0);
}

/** The sum of two numeric fields of /proc/PID/stat (counted after the command), in seconds; null once it is gone. */
function statFields(pid, a, b) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[a]) + Number(fields[b])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * The process and its live descendants: a server may fork workers (Gatehouse with
 * GATEHOUSE_WORKERS), and its figures are the whole tree's.
 */
function treeOf(pid) {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${pids[i]}/task`)) {
        const children = readFileSync(`/proc/${pids[i]}/task/${tid}/children`, 'utf8').trim();
        if (children !== '') pids.push(...children.split(' ').map(Number));
      }
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** VmRSS and VmHWM (peak) in MB from /proc/PID/status, summed over the process and its workers; nulls when unreadable. */
export function memoryOf(pid) {
  let rssMB = 0;
  let peakMB = 0;
  for (const p of treeOf(pid)) {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
      rssMB += kb('VmRSS') / 1024;
      peakMB += kb('VmHWM') / 1024;
    } catch {
      if (p === pid) return { rssMB: null, peakMB: null };
    }
  }
  return { rssMB, peakMB };
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
/** CPU seconds (user+system, all threads) the process and its live workers used so far, from /proc/PID/stat. */
export function cpuSecondsOf(pid) {
  let seconds = 0;
  for (const p of treeOf(pid)) {
    const own = statFields(p, 11, 12); // utime, stime
    if (own === null && p === pid) return null;
    seconds += own ?? 0;
  }
  return seconds;
}

export function tail(file, lines = 15) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** CPU seconds the whole machine spent busy so far (all cores, /proc/stat), for "other load". */
export function machineBusySeconds() {
  try {
    // cpu  user nice system idle iowait irq softirq steal ...
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * How idle cores wait, where Linux says: the cpuidle driver, and for KVM's guest halt-polling
 * how long an idle core spins before it halts. At 0 every wake-up of an idle core is an
 * interrupt that must bring a halted virtual CPU back, the hand-over a never-seen token makes
 * twice (see README). Undefined where /sys does not tell.
 */
export function idleSetting() {
  const read = (file) => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const driver = read('/sys/devices/system/cpu/cpuidle/current_driver');
  if (driver === undefined) return undefined;
  const pollNs = driver === 'haltpoll' ? read('/sys/module/haltpoll/parameters/guest_halt_poll_ns') : undefined;
  return pollNs === undefined ? `cpuidle ${driver}` : `cpuidle ${driver}, guest_halt_poll_ns=${pollNs}`;
}

/**
 * Waits (at most `maxWaitMs`) until the machine is nearly idle apart from this process, so
 * that a round does not start while other work (a build, a test suite) holds the cores.
 * Resolves { waitedMs, busyCores } of the last 300 ms window.
 */
export async function waitForQuiet(maxWaitMs, thresholdCores = 0.25) {
  const t0 = performance.now();
  for (;;) {
    const busy0 = machineBusySeconds();
    const own0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, 300));
    const own = process.cpuUsage(own0);
    const wall = (performance.now() - w0) / 1000;
    const busyCores = busy0 === null ? 0 : Math.max(0, (machineBusySeconds() - busy0 - (own.user + own.system) / 1e6) / wall);
    const waitedMs = performance.now() - t0;
    if (busyCores < thresholdCores || waitedMs >= maxWaitMs) return { waitedMs, busyCores };
  }
}

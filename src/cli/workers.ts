import cluster, { type Worker } from 'node:cluster';
import { Channel } from '../cluster/channel.js';
import type { MetricsSnapshot } from '../http/plugins/metrics.js';
import { limiterHandler, LIMITS_KIND } from '../limits/cluster.js';
import { MemoryLimiterStore } from '../limits/memory.js';
import { bootstrapAdmin } from '../services/bootstrap.js';
import { Keyring } from '../services/keys.js';
import { userService, type Runtime } from './runtime.js';

/** What a worker asks the primary for every worker's figures, and the primary asks each worker. */
export const METRICS_KIND = 'metrics';
export const SNAPSHOT_KIND = 'metrics.snapshot';
/** A worker's revocations, told to the primary, which tells the other workers. */
export const REVOKED_KIND = 'revoked';

/** A worker that dies is started again after this wait, doubled for each death in a row, up to the maximum. */
const RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that served this long resets the wait; one that died sooner counts as a failed start. */
const HEALTHY_AFTER_MS = 10_000;
/** Failed starts in a row (no worker listening meanwhile) after which the server gives up. */
const MAX_FAILED_STARTS = 3;
/** How long the workers get to finish their requests on shutdown before they are killed. */
const SHUTDOWN_GRACE_MS = 15_000;

interface Slot {
  worker: Worker;
  channel: Channel;
  forkedAt: number;
  listening: boolean;
}

/**
 * `serve` with GATEHOUSE_WORKERS > 1: this process does the one-time start-up (migrations,
 * the first signing key, the admin account), then runs the workers, each a whole server on
 * the same port (node:cluster hands out connections), and keeps them running: a worker
 * that dies is started again. It also keeps the login counters (without Redis), gathers
 * every worker's metrics for a scrape, and passes each worker's revocations to the others
 * at once. SIGINT/SIGTERM stop the workers gracefully.
 */
export async function superviseWorkers(runtime: Runtime): Promise<void> {
  const { config, store, clock, log } = runtime;
  await Keyring.open(config, store, clock, log);
  await bootstrapAdmin(config, store, userService(runtime), log);
  await runtime.close();

  const limits = config.redisUrl === undefined ? limiterHandler(new MemoryLimiterStore(), Date.now) : undefined;
  const slots = new Set<Slot>();
  let closing = false;
  let exitCode = 0;
  let failedStarts = 0;
  let restartDelay = RESTART_DELAY_MS;
  let announced = false;

  const gather = async (): Promise<readonly MetricsSnapshot[]> => {
    const answers = await Promise.all([...slots].filter((s) => s.listening).map((s) => s.channel.ask(SNAPSHOT_KIND)));
    return answers as MetricsSnapshot[];
  };

  const fork = (): void => {
    const worker = cluster.fork();
    const channel = new Channel((message) => worker.send(message));
    const slot: Slot = { worker, channel, forkedAt: Date.now(), listening: false };
    channel.handle(METRICS_KIND, gather);
    channel.handle(REVOKED_KIND, (tokens) => {
      for (const other of slots) if (other !== slot && other.listening) other.channel.ask(REVOKED_KIND, tokens).catch(() => undefined);
      return null;
    });
    if (limits) channel.handle(LIMITS_KIND, limits);
    slots.add(slot);
    worker.on('message', (message: unknown) => channel.receive(message));
    worker.once('listening', () => {
      slot.listening = true;
      failedStarts = 0;
      if (!announced && [...slots].filter((s) => s.listening).length === config.workers) {
        announced = true;
        log.info({ workers: config.workers, host: config.host, port: config.port }, 'all workers listening');
      }
    });
    worker.once('exit', (code, signal) => {
      slots.delete(slot);
      channel.close('the worker exited');
      if (closing) {
        if (slots.size === 0) process.exit(exitCode);
        return;
      }
      const served = Date.now() - slot.forkedAt;
      if (!slot.listening) failedStarts++;
      if (failedStarts >= MAX_FAILED_STARTS) {
        log.fatal({ code, signal }, `workers failed to start ${failedStarts} times in a row; stopping`);
        shutdown(1);
        return;
      }
      restartDelay = served >= HEALTHY_AFTER_MS ? RESTART_DELAY_MS : Math.min(restartDelay * 2, MAX_RESTART_DELAY_MS);
      log.error({ worker: worker.process.pid, code, signal, restartInMs: restartDelay }, 'a worker exited; starting another');
      // Not unref'd: with every worker gone, this timer is what keeps the primary running.
      setTimeout(() => {
        if (!closing) fork();
      }, restartDelay);
    });
  };

  const shutdown = (code: number, signal?: string): void => {
    if (closing) return;
    closing = true;
    exitCode = code;
    if (signal) log.info({ signal }, 'shutting down the workers');
    if (slots.size === 0) process.exit(exitCode);
    for (const { worker } of slots) worker.process.kill('SIGTERM');
    setTimeout(() => {
      for (const { worker } of slots) worker.process.kill('SIGKILL');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.once('SIGINT', () => shutdown(0, 'SIGINT'));
  process.once('SIGTERM', () => shutdown(0, 'SIGTERM'));

  for (let i = 0; i < config.workers; i++) fork();
}

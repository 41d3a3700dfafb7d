import cluster from 'node:cluster';
import { Channel } from '../cluster/channel.js';
import { buildApp } from '../http/app.js';
import { ConfigError } from '../errors.js';
import type { MetricsSnapshot } from '../http/plugins/metrics.js';
import { bootstrapAdmin } from '../services/bootstrap.js';
import { openLoginLimiter } from '../limits/open.js';
import { argon2EngineName, loadNativeArgon2 } from '../passwords/argon2-native.js';
import { es256CheckName } from '../tokens/es256-own-key.js';
import { threadPoolSize, yieldPoolToEventLoop } from '../passwords/thread-pool.js';
import { Keyring } from '../services/keys.js';
import type { RevokedAccessToken } from '../store/store.js';
import { parse } from './args.js';
import { openRuntime, type Runtime } from './runtime.js';
import { METRICS_KIND, REVOKED_KIND, SNAPSHOT_KIND, superviseWorkers } from './workers.js';
import { keepYoungGenerationSmall } from './young-generation.js';

const HOUSEKEEPING_INTERVAL_MS = 60 * 60_000;

export async function serveCommand(args: readonly string[]): Promise<void> {
  parse(args, {}, { min: 0, max: 0, usage: 'gatehouse serve' });
  const runtime = await openRuntime();
  if (cluster.isPrimary && runtime.config.workers > 1) return superviseWorkers(runtime);
  return runServer(runtime, cluster.isWorker ? primaryChannel() : undefined);
}

/** A worker's line to the primary (see superviseWorkers). */
function primaryChannel(): Channel {
  const channel = new Channel((message) => process.send?.(message) ?? false);
  process.on('message', (message: unknown) => channel.receive(message));
  return channel;
}

/** One server: the whole of `serve`, or one worker of a cluster (`primary` given). */
async function runServer(runtime: Runtime, primary: Channel | undefined): Promise<void> {
  const { config, store, clock, hasher, hashQueue, audit, log } = runtime;
  const keys = await Keyring.open(config, store, clock, log);
  const limits = await openLoginLimiter(config, log, primary);
  const allWorkers = primary ? { snapshots: () => primary.ask(METRICS_KIND) as Promise<readonly MetricsSnapshot[]> } : undefined;
  const { server, services, metrics } = await buildApp(config, { store, clock, hasher, keys, audit, limits: limits.limiter, log }, { cluster: allWorkers });
  if (primary) {
    primary.handle(SNAPSHOT_KIND, () => metrics.snapshot());
    primary.handle(REVOKED_KIND, (tokens) => services.revocations.noteFromPeer(revokedTokens(tokens)));
    services.revocations.publishTo((tokens) => {
      primary.ask(REVOKED_KIND, tokens).catch((error: unknown) => log.warn({ err: error }, 'could not tell the other workers of a revocation; they read it from the store'));
    });
  }
  // In a cluster the primary has made the admin account before starting the workers.
  if (!primary) await bootstrapAdmin(config, store, services.users, log);
  await services.revocations.refresh();
  keys.startRefreshing(log);
  services.revocations.startRefreshing(log);
  const housekeeping = setInterval(() => {
    services.refreshTokens.prune().catch((error: unknown) => log.warn({ err: error }, 'could not prune ended refresh families'));
  }, HOUSEKEEPING_INTERVAL_MS);
  housekeeping.unref();

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    keys.stop();
    services.revocations.stop();
    clearInterval(housekeeping);
    primary?.close('shutting down');
    server
      .close()
      .then(() => limits.close())
      .then(() => runtime.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  // A worker whose primary is gone (killed) stops too, rather than serve unsupervised.
  if (primary) process.once('disconnect', () => shutdown('disconnect'));

  // Before the first request: for a moment it holds every pool thread.
  const batchThreads = await yieldPoolToEventLoop().catch((error: unknown) => {
    log.warn({ err: error }, 'could not lower the thread pool\'s wake-up priority');
    return 0;
  });
  try {
    await server.listen({ host: config.host, port: config.port });
  } catch (error) {
    // EADDRINUSE, EACCES, an unknown host name: name the settings at fault.
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new ConfigError(`cannot listen on GATEHOUSE_HOST=${config.host} GATEHOUSE_PORT=${config.port}: ${reason}`);
  }
  // After listen: the thread's start-up need not delay the first answer. Before the start-up
  // lines, so that the server has all its threads once it has said how it hashes.
  // Only SQLite has upkeep to move (its WAL checkpoints); PostgreSQL resolves at once.
  store
    .startBackgroundUpkeep((error) => log.warn({ err: error }, 'the WAL checkpoint thread stopped; the server\'s connection checkpoints again'))
    .then(
      () => {
        if (store.kind === 'sqlite') log.info('SQLite WAL checkpoints run on a thread of their own');
      },
      (error: unknown) => log.warn({ err: error }, 'could not start the WAL checkpoint thread; the server\'s connection checkpoints'),
    )
    // Once the thread's isolate exists: making it undid an earlier call (see young-generation.ts).
    .finally(keepYoungGenerationSmall);
  const threadPool = threadPoolSize();
  const argon2 = argon2EngineName();
  const batch = batchThreads === threadPool ? ' (SCHED_BATCH)' : batchThreads > 0 ? ` (${batchThreads} of them SCHED_BATCH)` : '';
  // With the addon only `threads` of them compute at once; the rest wait in its queue.
  const hashThreads = loadNativeArgon2().addon ? hashQueue.threads : hashQueue.concurrency;
  log.info(
    { threadPool, batchThreads, hashesAtOnce: hashQueue.concurrency, hashThreads, argon2 },
    `password hashes: ${hashQueue.concurrency} at once, on ${hashThreads} of a pool of ${threadPool} threads${batch}, argon2 by ${argon2}`,
  );
  if (config.jwtAlgorithm === 'ES256') {
    const es256Check = es256CheckName();
    log.info({ es256Check }, `its own ES256 tokens are ${es256Check}`);
  }
  // The dummy hash for unknown-user logins is made now, so that the first such login costs what
  // later ones do, but after listen: it is tens of milliseconds of argon2 that start-up need not
  // wait for. A login that comes sooner waits for the same hash (the hasher makes it once).
  hasher.verifyDummy('warm-up').catch((error: unknown) => log.warn({ err: error }, 'could not make the dummy hash'));
}

/** Revocations as another worker sent them; anything else is dropped. */
function revokedTokens(payload: unknown): RevokedAccessToken[] {
  if (!Array.isArray(payload)) return [];
  return payload.filter(
    (t): t is RevokedAccessToken => typeof t === 'object' && t !== null && typeof t.jti === 'string' && typeof t.expiresAt === 'number',
  );
}

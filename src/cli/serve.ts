import { buildApp } from '../http/app.js';
import { bootstrapAdmin } from '../services/bootstrap.js';
import { openLoginLimiter } from '../limits/open.js';
import { Keyring } from '../services/keys.js';
import { parse } from './args.js';
import { openRuntime } from './runtime.js';
import { keepYoungGenerationSmall } from './young-generation.js';

const HOUSEKEEPING_INTERVAL_MS = 60 * 60_000;

export async function serveCommand(args: readonly string[]): Promise<void> {
  parse(args, {}, { min: 0, max: 0, usage: 'gatehouse serve' });
  const runtime = await openRuntime();
  const { config, store, clock, hasher, audit, log } = runtime;
  const keys = await Keyring.open(config, store, clock);
  const limits = await openLoginLimiter(config, log);
  const { server, services } = await buildApp(config, { store, clock, hasher, keys, audit, limits: limits.limiter, log });
  await bootstrapAdmin(config, store, services.users, log);
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

  await server.listen({ host: config.host, port: config.port });
  keepYoungGenerationSmall();
  // The dummy hash for unknown-user logins is made now, so that the first such login costs what
  // later ones do, but after listen: it is tens of milliseconds of argon2 that start-up need not
  // wait for. A login that comes sooner waits for the same hash (the hasher makes it once).
  hasher.verifyDummy('warm-up').catch((error: unknown) => log.warn({ err: error }, 'could not make the dummy hash'));
}

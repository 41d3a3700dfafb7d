import pino, { type Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { loadConfig, type Config } from '../config.js';
import { ConfigError, GatehouseError } from '../errors.js';
import { createLogger } from '../log.js';
import { createPasswordHasher } from '../passwords/hasher.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import { HashQueue } from '../passwords/hash-queue.js';
import { Audit } from '../services/audit.js';
import { ClientService } from '../services/clients.js';
import { RefreshTokens } from '../services/refresh-tokens.js';
import { RevocationList } from '../services/revocation-list.js';
import { UserService } from '../services/users.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';

/** What every command works with: the validated config, a migrated store, a logger. */
export interface Runtime {
  readonly config: Config;
  readonly store: Store;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  /** The hasher's admission control (how many hashes run at once). */
  readonly hashQueue: HashQueue;
  readonly audit: Audit;
  readonly log: Logger;
  /** The migrations opening the store applied (`migrate` reports them). */
  readonly migrationsApplied: readonly string[];
  /** Waits for audit writes, then closes the store. */
  close(): Promise<void>;
}

/** The only place the process environment is read. */
export async function openRuntime(options: { logLevel?: string; stderr?: boolean } = {}): Promise<Runtime> {
  const config = loadConfig(process.env);
  const log = createLogger(options.logLevel ?? config.logLevel, options.stderr ? pino.destination(2) : undefined);
  const store = await openStore(config.database, (error) =>
    // The driver's words only: never the URL, which may hold a password.
    log.warn({ reason: error.message.split('\n')[0] }, 'a PostgreSQL connection was lost; another is opened when needed'),
  );
  let migrationsApplied: readonly string[];
  try {
    migrationsApplied = await store.migrate();
  } catch (error) {
    await store.close();
    // The driver's own words (never the URL, which may hold a password), and which setting led there.
    if (config.database.kind === 'postgres' && !(error instanceof GatehouseError)) {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      throw new ConfigError(`cannot use the PostgreSQL database of GATEHOUSE_DATABASE_URL: ${reason}`);
    }
    throw error;
  }
  const audit = new Audit(store, systemClock, log);
  const hashQueue = new HashQueue({}, config.workers);
  return {
    config,
    store,
    clock: systemClock,
    hasher: createPasswordHasher(config.argon2, hashQueue),
    hashQueue,
    audit,
    log,
    migrationsApplied,
    async close() {
      await audit.flush();
      await store.close();
    },
  };
}

/** A CLI command's log: warnings and worse, on stderr, so stdout stays the command's output. */
export function openCommandRuntime(): Promise<Runtime> {
  return openRuntime({ logLevel: process.env['GATEHOUSE_LOG_LEVEL'] === 'silent' ? 'silent' : 'warn', stderr: true });
}

// Commands write revocations to the store; running servers pick them up on their next look.
function revocationList(runtime: Runtime): RevocationList {
  return new RevocationList(runtime.store.revocations, runtime.clock, runtime.config.keyRefreshInterval);
}

export function userService(runtime: Runtime): UserService {
  const sessions = new RefreshTokens(runtime.config, runtime.store, runtime.clock, runtime.audit, revocationList(runtime));
  return new UserService(runtime.store, runtime.hasher, runtime.clock, runtime.audit, sessions);
}

export function clientService(runtime: Runtime): ClientService {
  return new ClientService(runtime.store, runtime.clock, runtime.audit, revocationList(runtime));
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import type { Metrics } from '../../src/http/plugins/metrics.js';
import { createLogger } from '../../src/log.js';
import { createPasswordHasher, type PasswordHasher } from '../../src/passwords/hasher.js';
import type { Services } from '../../src/services/container.js';
import { LoginLimiter } from '../../src/limits/login-limiter.js';
import type { LimiterStore } from '../../src/limits/limiter.js';
import { MemoryLimiterStore } from '../../src/limits/memory.js';
import { loginLimitPolicy } from '../../src/limits/open.js';
import { Audit } from '../../src/services/audit.js';
import { Keyring } from '../../src/services/keys.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';
import { ManualClock } from './clock.js';

export interface TestApp {
  readonly server: FastifyInstance;
  readonly services: Services;
  readonly metrics: Metrics;
  readonly store: Store;
  readonly clock: ManualClock;
  readonly config: Config;
  readonly keys: Keyring;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Wraps the real hasher, e.g. to count how often it hashes. */
  readonly hasher?: (real: PasswordHasher) => PasswordHasher;
  /** The brute-force counters' store; an in-memory one by default. */
  readonly limiterStore?: LimiterStore;
  /** The server's logger; a silent one by default. */
  readonly log?: Logger;
}

/** A whole server on a temp SQLite file and a manual clock, for fastify.inject() tests. */
export async function createTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-test-'));
  const config = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'silent', ...env });
  const clock = new ManualClock(Date.now());
  const store = openSqliteStore(path.join(dir, 'gatehouse.db'));
  await store.migrate();
  const log = options.log ?? createLogger('silent');
  const keys = await Keyring.open(config, store, clock, log);
  const real = createPasswordHasher(config.argon2);
  const hasher = options.hasher ? options.hasher(real) : real;
  const audit = new Audit(store, clock, log);
  const { server, services, metrics } = await buildApp(config, { store, clock, hasher, keys, audit, limits: new LoginLimiter(options.limiterStore ?? new MemoryLimiterStore(), loginLimitPolicy(config)), log });
  await server.ready();
  return {
    server,
    services,
    metrics,
    store,
    clock,
    config,
    keys,
    async close() {
      await server.close();
      await audit.flush();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function form(fields: Record<string, string>): { payload: string; headers: Record<string, string> } {
  return {
    payload: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

/** `Authorization: Basic` as RFC 6749 §2.3.1 builds it: each part form-urlencoded first. */
export function basic(clientId: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

/** POSTs a form to an OAuth endpoint of the test app. */
export function postForm(app: TestApp, url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const f = form(fields);
  return app.server.inject({ method: 'POST', url, payload: f.payload, headers: { ...f.headers, ...headers } });
}

/** Registers a client; returns its id and, for a confidential one, its secret. */
export async function registerClient(
  app: TestApp,
  options: { name?: string; public?: boolean; scopes?: string[] } = {},
): Promise<{ id: string; secret: string }> {
  const { client, secret } = await app.services.clients.register({
    name: options.name ?? 'test client',
    public: options.public ?? false,
    scopes: options.scopes ?? [],
  });
  return { id: client.id, secret: secret ?? '' };
}

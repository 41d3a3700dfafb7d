import type { Redis } from 'ioredis';
import type { Channel } from '../cluster/channel.js';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { ClusterLimiterStore } from './cluster.js';
import type { Log } from '../log.js';
import type { LimiterStore } from './limiter.js';
import { LoginLimiter } from './login-limiter.js';
import { MemoryLimiterStore } from './memory.js';
import { DEFAULT_LOGIN_LIMITS, type LoginLimitPolicy } from './policy.js';

export interface OpenedLimiter {
  readonly limiter: LoginLimiter;
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 5000;

/**
 * Resolves once Redis answers on the database the URL names, as the store must before a
 * start: ioredis reports a failed connection (refused, TLS against a plain server) only as
 * an event and keeps retrying, and when SELECT fails it goes on with database 0.
 */
async function usable(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no answer within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      const done = (error?: Error): void => {
        clearTimeout(timer);
        redis.off('ready', onReady).off('error', done);
        if (error) reject(error);
        else resolve();
      };
      const onReady = (): void => done();
      redis.once('ready', onReady).once('error', done);
    });
  }
  await redis.select(redis.options.db ?? 0);
}

export function loginLimitPolicy(config: Config): LoginLimitPolicy {
  return {
    ...DEFAULT_LOGIN_LIMITS,
    freeFailures: config.loginLimits.freeFailures,
    firstBackoffMs: config.loginLimits.firstBackoff * 1000,
    maxBackoffMs: config.loginLimits.maxBackoff * 1000,
    ipMaxFailures: config.loginLimits.ipMaxFailures,
    ipWindowMs: config.loginLimits.ipWindow * 1000,
  };
}

/**
 * Counters in Redis when GATEHOUSE_REDIS_URL is set, shared by all instances; otherwise in
 * memory: this process's, or, in a worker of a cluster (`primary` given), the primary's.
 */
export async function openLoginLimiter(config: Config, log: Log, primary?: Channel): Promise<OpenedLimiter> {
  const policy = loginLimitPolicy(config);
  if (config.redisUrl === undefined) {
    const store = primary ? new ClusterLimiterStore(primary) : new MemoryLimiterStore();
    return { limiter: new LoginLimiter(store, policy), close: () => Promise.resolve() };
  }
  // Loaded only when used: the client is 55 modules that a server without Redis need not hold.
  const [{ Redis }, { RedisLimiterStore }] = await Promise.all([import('ioredis'), import('./redis.js')]);
  // Fail fast while Redis is away, so logins answer 503 at once instead of queueing.
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 2000, enableOfflineQueue: false });
  try {
    await usable(redis);
  } catch (error) {
    redis.disconnect();
    // The client's own words, never the URL (it may hold a password).
    throw new ConfigError(`cannot use the Redis of GATEHOUSE_REDIS_URL: ${error instanceof Error ? error.message : String(error)}`);
  }
  redis.on('error', (error: Error) => log.warn({ err: { message: error.message } }, 'redis error'));
  const store: LimiterStore = new RedisLimiterStore(redis, 'gatehouse:limits:');
  return {
    limiter: new LoginLimiter(store, policy),
    async close() {
      redis.disconnect();
    },
  };
}

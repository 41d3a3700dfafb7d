import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { LoginLimiter } from '../../src/limits/login-limiter.js';
import { DEFAULT_LOGIN_LIMITS } from '../../src/limits/policy.js';
import { CLOCK_SLACK_MS, RedisLimiterStore } from '../../src/limits/redis.js';
import { ManualClock } from '../helpers/clock.js';
import { limiterContract } from './contract.js';

/** The local Redis the suite runs against; override with GATEHOUSE_TEST_REDIS_URL. */
const REDIS_URL = process.env['GATEHOUSE_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own for one store, and a way to delete every key under it. */
function testPrefix(): string {
  return `gatehouse-test:${randomBytes(6).toString('hex')}:`;
}

async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

async function deleteUnder(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  if (keys.length > 0) await redis.del(...keys);
}

limiterContract('Redis', async () => {
  const redis = new Redis(REDIS_URL);
  const prefix = testPrefix();
  return {
    store: new RedisLimiterStore(redis, prefix),
    async cleanup() {
      await deleteUnder(redis, prefix);
      await redis.quit();
    },
  };
});

describe('RedisLimiterStore', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let other: Redis;
  before(() => {
    redis = new Redis(REDIS_URL);
    other = new Redis(REDIS_URL);
  });
  after(async () => {
    await deleteUnder(redis, prefix);
    await Promise.all([redis.quit(), other.quit()]);
  });

  it('keeps every key under its prefix, with a TTL, and no username or address in clear', async () => {
    const clock = new ManualClock();
    const limiter = new LoginLimiter(new RedisLimiterStore(redis, prefix));
    await limiter.begin('olivia', '192.0.2.7', clock.now());
    await limiter.succeeded('olivia', '192.0.2.7', clock.now());
    await limiter.begin('olivia', '198.51.100.1', clock.now());
    await limiter.begin('hunter2-typed-as-a-name', '198.51.100.1', clock.now());
    const keys = await keysUnder(redis, prefix);
    assert.deepEqual(keys.map((k) => k.slice(prefix.length).split(':')[0]).sort(), ['account', 'account', 'ip', 'known']);
    for (const key of keys) {
      assert.doesNotMatch(key, /olivia|hunter2|192\.0\.2|198\.51/);
      const ttl = await redis.pttl(key);
      assert.ok(ttl > 0, `${key} has a TTL`);
    }
    const known = keys.find((k) => k.startsWith(`${prefix}known:`)) ?? '';
    const knownTtl = await redis.pttl(known);
    assert.ok(knownTtl > DEFAULT_LOGIN_LIMITS.knownIpTtlMs && knownTtl <= DEFAULT_LOGIN_LIMITS.knownIpTtlMs + CLOCK_SLACK_MS, `known ttl ${knownTtl}`);
    const ip = keys.find((k) => k.startsWith(`${prefix}ip:`)) ?? '';
    const ipTtl = await redis.pttl(ip);
    assert.ok(ipTtl > DEFAULT_LOGIN_LIMITS.ipWindowMs && ipTtl <= DEFAULT_LOGIN_LIMITS.ipWindowMs + CLOCK_SLACK_MS, `ip ttl ${ipTtl}`);
  });

  it('gives the account key a TTL covering the wait and the memory after it', async () => {
    const clock = new ManualClock();
    const store = new RedisLimiterStore(redis, prefix);
    for (let i = 0; i < 30; i += 1) await store.reserveAccountAttempt('capped', clock.now(), DEFAULT_LOGIN_LIMITS);
    for (let n = 0; n < 15; n += 1) {
      clock.advance(DEFAULT_LOGIN_LIMITS.maxBackoffMs);
      await store.reserveAccountAttempt('capped', clock.now(), DEFAULT_LOGIN_LIMITS);
    }
    const ttl = await redis.pttl(`${prefix}account:capped`);
    const expected = DEFAULT_LOGIN_LIMITS.maxBackoffMs + DEFAULT_LOGIN_LIMITS.accountMemoryMs + CLOCK_SLACK_MS;
    assert.ok(ttl > expected - 5000 && ttl <= expected, `ttl ${ttl}`);
  });

  it('holds the limit across instances: 50 parallel guesses over two connections, 6 checked', async () => {
    const clock = new ManualClock();
    const first = new LoginLimiter(new RedisLimiterStore(redis, prefix));
    const second = new LoginLimiter(new RedisLimiterStore(other, prefix));
    const decisions = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? first : second).begin('shared', `203.0.113.${i}`, clock.now())),
    );
    assert.equal(decisions.filter((d) => d.allowed).length, 6);
  });

  it('rejects when Redis cannot answer, so the caller fails closed', async () => {
    const down = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const limiter = new LoginLimiter(new RedisLimiterStore(down, prefix));
    try {
      await assert.rejects(limiter.begin('nobody', '192.0.2.1', 0));
      await assert.rejects(limiter.begin('nobody', null, 0));
      await assert.rejects(limiter.succeeded('nobody', '192.0.2.1', 0));
    } finally {
      down.disconnect();
    }
  });
});

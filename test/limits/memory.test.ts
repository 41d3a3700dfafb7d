import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLimiterStore } from '../../src/limits/memory.js';
import { DEFAULT_LOGIN_LIMITS } from '../../src/limits/policy.js';
import { ManualClock } from '../helpers/clock.js';
import { limiterContract } from './contract.js';

limiterContract('memory', async () => {
  const store = new MemoryLimiterStore();
  return { store, cleanup: () => store.close() };
});

const policy = DEFAULT_LOGIN_LIMITS;

async function block(store: MemoryLimiterStore, key: string, now: number): Promise<void> {
  for (let i = 0; i < policy.freeFailures + 1; i += 1) await store.reserveAccountAttempt(key, now, policy);
}

describe('MemoryLimiterStore bounds', () => {
  it('refuses a bound below one entry', () => {
    assert.throws(() => new MemoryLimiterStore({ maxEntries: 0 }), RangeError);
  });

  it('keeps at most maxEntries per map, dropping the least recently used', async () => {
    const clock = new ManualClock();
    const store = new MemoryLimiterStore({ maxEntries: 2 });
    await block(store, 'a', clock.now());
    await store.reserveAccountAttempt('b', clock.now(), policy);
    // A refused attempt is a use: "a" is now the most recent, "b" the oldest.
    assert.equal((await store.reserveAccountAttempt('a', clock.now(), policy)).allowed, false);
    await store.reserveAccountAttempt('c', clock.now(), policy);
    assert.equal(store.size, 2);
    assert.equal((await store.reserveAccountAttempt('a', clock.now(), policy)).allowed, false);
    await store.reserveAccountAttempt('d', clock.now(), policy);
    await store.reserveAccountAttempt('e', clock.now(), policy);
    assert.equal((await store.reserveAccountAttempt('a', clock.now(), policy)).allowed, true, 'evicted, so counting from zero');
    for (let i = 0; i < 10; i += 1) {
      await store.reserveIpAttempt(`ip-${i}`, clock.now(), policy);
      await store.rememberIp('a', `ip-${i}`, clock.now(), policy);
    }
    assert.equal(store.size, 6);
    assert.equal(await store.isKnownIp('a', 'ip-9', clock.now()), true);
    assert.equal(await store.isKnownIp('a', 'ip-0', clock.now()), false);
  });

  it('drops expired entries as it writes, without a timer', async () => {
    const clock = new ManualClock();
    const store = new MemoryLimiterStore();
    for (let i = 0; i < 100; i += 1) await store.reserveIpAttempt(`old-${i}`, clock.now(), policy);
    assert.equal(store.size, 100);
    clock.advance(policy.ipWindowMs);
    for (let i = 0; i < 25; i += 1) await store.reserveIpAttempt(`new-${i}`, clock.now(), policy);
    assert.equal(store.size, 25);
  });

  it('empties on close', async () => {
    const store = new MemoryLimiterStore();
    await block(store, 'a', 0);
    await store.close();
    assert.equal(store.size, 0);
  });
});

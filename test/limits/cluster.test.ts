import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Channel } from '../../src/cluster/channel.js';
import { ClusterLimiterStore, limiterHandler, LIMITS_KIND } from '../../src/limits/cluster.js';
import { MemoryLimiterStore } from '../../src/limits/memory.js';
import { DEFAULT_LOGIN_LIMITS } from '../../src/limits/policy.js';
import { limiterContract } from './contract.js';

/** A worker's store wired to a primary's memory store through two channels, as over IPC. */
function overChannel(primaryNow?: () => number): ClusterLimiterStore {
  const memory = new MemoryLimiterStore();
  const deliver = (to: () => Channel) => (message: unknown) => {
    const copy: unknown = JSON.parse(JSON.stringify(message));
    setImmediate(() => to().receive(copy));
    return true;
  };
  const primary: Channel = new Channel(deliver(() => worker)).handle(LIMITS_KIND, limiterHandler(memory, primaryNow));
  const worker: Channel = new Channel(deliver(() => primary));
  return new ClusterLimiterStore(worker);
}

// Every operation through the channel, with the workers' own times passed through: the same
// behaviour as the memory store it reaches.
limiterContract('cluster (through the primary)', async () => ({ store: overChannel(), cleanup: () => Promise.resolve() }));

describe('cluster login counters', () => {
  it('are timed by the primary, not by the `now` each worker sends', async () => {
    let now = 1_000_000;
    const store = overChannel(() => now);
    const policy = { ...DEFAULT_LOGIN_LIMITS, freeFailures: 1 };
    assert.deepEqual(await store.reserveAccountAttempt('a', 0, policy), { allowed: true });
    // The second failure starts a 1 s wait, from the primary's time.
    assert.deepEqual(await store.reserveAccountAttempt('a', 0, policy), { allowed: true });
    const refused = await store.reserveAccountAttempt('a', 5_000_000, policy);
    assert.deepEqual(refused, { allowed: false, retryAfterMs: 1000 });
    now += 1000;
    assert.deepEqual(await store.reserveAccountAttempt('a', 0, policy), { allowed: true });
  });

  it('answers only the store’s operations', async () => {
    const handler = limiterHandler(new MemoryLimiterStore());
    assert.throws(() => handler({ operation: 'close', args: [] }), /not a limiter operation/);
    assert.throws(() => handler({ operation: 'constructor', args: [] }), /not a limiter operation/);
    assert.throws(() => handler({ operation: 'resetAccount', args: 'x' }), /not a limiter operation/);
  });
});

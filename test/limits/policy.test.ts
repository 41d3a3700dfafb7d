import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LOGIN_LIMITS, backoffMs, backoffSchedule, retryAfterSeconds, validateLoginLimits } from '../../src/limits/policy.js';

describe('login limit policy', () => {
  it('has the defaults of DESIGN "Protection defaults"', () => {
    assert.deepEqual(DEFAULT_LOGIN_LIMITS, {
      freeFailures: 5,
      firstBackoffMs: 1000,
      maxBackoffMs: 15 * 60_000,
      accountMemoryMs: 24 * 3_600_000,
      ipMaxFailures: 100,
      ipWindowMs: 15 * 60_000,
      knownIpTtlMs: 30 * 24 * 3_600_000,
    });
    assert.ok(Object.isFrozen(DEFAULT_LOGIN_LIMITS));
  });

  it('waits nothing for the first five failures, then 2^(n-6) s after the n-th', () => {
    const waits = Array.from({ length: 16 }, (_, i) => backoffMs(i, DEFAULT_LOGIN_LIMITS));
    assert.deepEqual(waits, [0, 0, 0, 0, 0, 0, 1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000]);
  });

  it('caps the wait at 15 minutes, also for absurd counts', () => {
    assert.equal(backoffMs(16, DEFAULT_LOGIN_LIMITS), 900_000);
    assert.equal(backoffMs(1e6, DEFAULT_LOGIN_LIMITS), 900_000);
    assert.equal(backoffMs(Number.MAX_SAFE_INTEGER, DEFAULT_LOGIN_LIMITS), 900_000);
    assert.equal(backoffMs(Number.NaN, DEFAULT_LOGIN_LIMITS), 0);
  });

  it('follows a configured threshold and cap', () => {
    const policy = { ...DEFAULT_LOGIN_LIMITS, freeFailures: 0, maxBackoffMs: 3000 };
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffMs(n, policy)), [1000, 2000, 3000, 3000]);
  });

  it('lists the schedule up to the first capped wait, matching backoffMs', () => {
    const schedule = backoffSchedule(DEFAULT_LOGIN_LIMITS);
    assert.deepEqual(schedule, [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000, 900_000]);
    assert.deepEqual(backoffSchedule({ ...DEFAULT_LOGIN_LIMITS, maxBackoffMs: 500 }), [500]);
    assert.deepEqual(backoffSchedule({ ...DEFAULT_LOGIN_LIMITS, maxBackoffMs: 4000 }), [1000, 2000, 4000]);
  });

  it('rounds Retry-After up to whole seconds, at least 1', () => {
    assert.deepEqual([1, 999, 1000, 1001, 900_000].map(retryAfterSeconds), [1, 1, 1, 2, 900]);
  });

  it('accepts the defaults and refuses a bad value, naming the field', () => {
    assert.equal(validateLoginLimits(DEFAULT_LOGIN_LIMITS), DEFAULT_LOGIN_LIMITS);
    assert.throws(() => validateLoginLimits({ ...DEFAULT_LOGIN_LIMITS, ipMaxFailures: 0 }), /ipMaxFailures/);
    assert.throws(() => validateLoginLimits({ ...DEFAULT_LOGIN_LIMITS, freeFailures: 2.5 }), /freeFailures/);
    assert.throws(() => validateLoginLimits({ ...DEFAULT_LOGIN_LIMITS, maxBackoffMs: Number.POSITIVE_INFINITY }), /maxBackoffMs/);
    assert.doesNotThrow(() => validateLoginLimits({ ...DEFAULT_LOGIN_LIMITS, freeFailures: 0, knownIpTtlMs: 0 }));
  });
});

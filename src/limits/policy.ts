/**
 * Brute-force protection for password logins (DESIGN "Protection defaults"): the numbers,
 * and the backoff arithmetic that every limiter backend shares. Pure: no storage, no clock.
 */
export interface LoginLimitPolicy {
  /** Consecutive failures of one account that cost no wait (5). */
  readonly freeFailures: number;
  /** The wait after the first failure past the free ones (1 s); it doubles with each further failure. */
  readonly firstBackoffMs: number;
  /** Longest wait after a failure (15 min). */
  readonly maxBackoffMs: number;
  /**
   * How long an account's failure count is kept once the wait after its last failure is
   * over (24 h). Long on purpose: were it forgotten sooner, "fail 6 times, pause" would beat
   * waiting out the cap, and a long memory costs the real user nothing until they fail again.
   */
  readonly accountMemoryMs: number;
  /** Failed logins allowed from one IP (an IPv6 /64) in any window of ipWindowMs (100). */
  readonly ipMaxFailures: number;
  readonly ipWindowMs: number;
  /** How long an IP that logged into an account stays exempt from that account's counter (30 d). */
  readonly knownIpTtlMs: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const DEFAULT_LOGIN_LIMITS: LoginLimitPolicy = Object.freeze({
  freeFailures: 5,
  firstBackoffMs: 1000,
  maxBackoffMs: 15 * MINUTE,
  accountMemoryMs: DAY,
  ipMaxFailures: 100,
  ipWindowMs: 15 * MINUTE,
  knownIpTtlMs: 30 * DAY,
});

/** Checks a policy (e.g. one built from configuration); throws a RangeError naming the field. */
export function validateLoginLimits(policy: LoginLimitPolicy): LoginLimitPolicy {
  const minimum: Record<keyof LoginLimitPolicy, number> = {
    freeFailures: 0,
    firstBackoffMs: 1,
    maxBackoffMs: 1,
    accountMemoryMs: 1,
    ipMaxFailures: 1,
    ipWindowMs: 1,
    knownIpTtlMs: 0,
  };
  for (const [field, least] of Object.entries(minimum)) {
    const value: unknown = policy[field as keyof LoginLimitPolicy];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < least) {
      throw new RangeError(`login limit ${field} must be an integer of at least ${least}`);
    }
  }
  return policy;
}

/**
 * The wait after the n-th consecutive failure of an account: none for the free ones, then
 * 1 s after failure free+1, doubling, capped at maxBackoffMs (defaults: 2^(n−6) s up to 15 min).
 */
export function backoffMs(failures: number, policy: LoginLimitPolicy): number {
  if (!(failures > policy.freeFailures)) return 0;
  // 2 ** large is Infinity, never NaN, so the cap also holds for absurd counts.
  return Math.min(policy.firstBackoffMs * 2 ** (failures - policy.freeFailures - 1), policy.maxBackoffMs);
}

/**
 * backoffMs for failures free+1, free+2, … up to and including the first capped value; every
 * later failure waits the last entry. Lets a store that cannot call backoffMs (a Lua script)
 * apply the same arithmetic by lookup, so the curve is defined once, here.
 */
export function backoffSchedule(policy: LoginLimitPolicy): readonly number[] {
  const schedule: number[] = [];
  for (let failures = policy.freeFailures + 1; ; failures += 1) {
    const wait = backoffMs(failures, policy);
    schedule.push(wait);
    if (wait >= policy.maxBackoffMs) return schedule;
  }
}

/** RFC 9110 §10.2.3: Retry-After is whole seconds; round up so a client never retries early. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

import type { LoginLimitPolicy } from './policy.js';

/** The answer to a reservation: go ahead, or wait this long. */
export type Reservation = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

export const ALLOWED: Reservation = Object.freeze({ allowed: true });

/**
 * Where the login limiter keeps its counters: memory (one process) or Redis (all instances).
 * Every operation is atomic on its own, so parallel logins can never both take the last
 * free attempt. Times are milliseconds passed in by the caller (tests move a manual clock);
 * keys are opaque strings (LoginLimiter passes fixed-length digests). A store that cannot
 * answer rejects; the caller fails closed.
 */
export interface LimiterStore {
  /**
   * Counts one failure of `key` before the password is checked (a success undoes it with
   * resetAccount). Refused, without counting, while the wait after the previous failure runs.
   */
  reserveAccountAttempt(key: string, now: number, policy: LoginLimitPolicy): Promise<Reservation>;
  /** Forgets the account's failures and any wait. */
  resetAccount(key: string): Promise<void>;
  /** Counts one failure of `ip` in the sliding window; refused when the window is full. */
  reserveIpAttempt(ip: string, now: number, policy: LoginLimitPolicy): Promise<Reservation>;
  /** Gives back one reserved failure of `ip` (the attempt succeeded). */
  releaseIpAttempt(ip: string, now: number): Promise<void>;
  /** Notes that `ip` logged into `account`, for knownIpTtlMs from now. */
  rememberIp(account: string, ip: string, now: number, policy: LoginLimitPolicy): Promise<void>;
  isKnownIp(account: string, ip: string, now: number): Promise<boolean>;
  close(): Promise<void>;
  /** Rejects when the counters cannot be reached (for /readyz); stores in this process need none. */
  ping?(): Promise<void>;
}

/** One key for a pair of keys; the length prefix keeps it unambiguous whatever the parts hold. */
export function pairKey(first: string, second: string): string {
  return `${first.length}:${first}:${second}`;
}

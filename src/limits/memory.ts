import { ALLOWED, pairKey } from './limiter.js';
import type { LimiterStore, Reservation } from './limiter.js';
import { backoffMs } from './policy.js';
import type { LoginLimitPolicy } from './policy.js';

export interface MemoryLimiterOptions {
  /**
   * Most entries kept in each of the three maps (accounts, IPs, known IPs); past it the
   * least recently used entry goes. 50 000 each is at most ~10 MB per map, ~50 MB for IPs
   * if every one holds a full window of 100 failure times.
   */
  readonly maxEntries?: number;
}

export const DEFAULT_MAX_ENTRIES = 50_000;

/** Expired entries dropped per write, oldest-used first: memory follows the load without a timer. */
const SWEEP_PER_WRITE = 4;

interface Expiring {
  /** Milliseconds; the entry is gone from this moment. */
  readonly expiresAt: number;
}

interface AccountState extends Expiring {
  readonly failures: number;
  readonly blockedUntil: number;
}

interface IpLog extends Expiring {
  /** Reservation times, oldest first. */
  readonly times: number[];
}

/**
 * The limiter of a single process. Each method does all its work before its first await,
 * so on one event loop it is atomic. Bounded: evicting the least recently used entry means
 * an attacker who wants a blocked account forgotten must touch maxEntries other names
 * between two of his own attempts at it — 50 000 requests for 6 more guesses.
 */
export class MemoryLimiterStore implements LimiterStore {
  private readonly accounts: RecencyMap<AccountState>;
  private readonly ips: RecencyMap<IpLog>;
  private readonly knownIps: RecencyMap<Expiring>;

  constructor(options: MemoryLimiterOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    this.accounts = new RecencyMap(maxEntries);
    this.ips = new RecencyMap(maxEntries);
    this.knownIps = new RecencyMap(maxEntries);
  }

  /** Entries held in all maps, expired ones not yet swept included. */
  get size(): number {
    return this.accounts.size + this.ips.size + this.knownIps.size;
  }

  async reserveAccountAttempt(key: string, now: number, policy: LoginLimitPolicy): Promise<Reservation> {
    const state = this.accounts.get(key, now);
    if (state !== undefined && state.blockedUntil > now) return { allowed: false, retryAfterMs: state.blockedUntil - now };
    const failures = (state?.failures ?? 0) + 1;
    const wait = backoffMs(failures, policy);
    // No wait, no block: "blocked until now" would refuse a parallel attempt whose `now` was
    // read a moment earlier (another worker or instance) for a free failure.
    this.accounts.set(key, { failures, blockedUntil: wait > 0 ? now + wait : 0, expiresAt: now + wait + policy.accountMemoryMs }, now);
    return ALLOWED;
  }

  async resetAccount(key: string): Promise<void> {
    this.accounts.delete(key);
  }

  async reserveIpAttempt(ip: string, now: number, policy: LoginLimitPolicy): Promise<Reservation> {
    const log = this.ips.get(ip, now);
    const times = log?.times ?? [];
    let live = 0;
    while (live < times.length && (times[live] ?? 0) + policy.ipWindowMs <= now) live += 1;
    times.splice(0, live);
    if (times.length >= policy.ipMaxFailures) {
      // The window has room again when the entry that brings it under the maximum leaves.
      const freeing = times[times.length - policy.ipMaxFailures] ?? now;
      return { allowed: false, retryAfterMs: freeing + policy.ipWindowMs - now };
    }
    times.push(now);
    this.ips.set(ip, { times, expiresAt: Math.max(log?.expiresAt ?? 0, now + policy.ipWindowMs) }, now);
    return ALLOWED;
  }

  async releaseIpAttempt(ip: string, now: number): Promise<void> {
    const log = this.ips.get(ip, now);
    if (log === undefined) return;
    log.times.pop();
    if (log.times.length === 0) this.ips.delete(ip);
  }

  async rememberIp(account: string, ip: string, now: number, policy: LoginLimitPolicy): Promise<void> {
    this.knownIps.set(pairKey(account, ip), { expiresAt: now + policy.knownIpTtlMs }, now);
  }

  async isKnownIp(account: string, ip: string, now: number): Promise<boolean> {
    return this.knownIps.get(pairKey(account, ip), now) !== undefined;
  }

  async close(): Promise<void> {
    this.accounts.clear();
    this.ips.clear();
    this.knownIps.clear();
  }
}

/** A Map kept in order of last use (a Map iterates in insertion order), bounded, with expiry. */
class RecencyMap<V extends Expiring> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The live entry, now the most recently used; an expired one is dropped. */
  get(key: string, now: number): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    if (value.expiresAt <= now) return undefined;
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: V, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    let swept = 0;
    for (const [oldest, entry] of this.entries) {
      const full = this.entries.size > this.maxEntries;
      if (!full && (swept >= SWEEP_PER_WRITE || entry.expiresAt > now)) break;
      if (!full) swept += 1;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

import { createHash } from 'node:crypto';
import { BoundedMemo } from '../bounded-memo.js';
import { ipGroup } from './ip.js';
import type { LimiterStore, Reservation } from './limiter.js';
import { DEFAULT_LOGIN_LIMITS, retryAfterSeconds, validateLoginLimits } from './policy.js';
import type { LoginLimitPolicy } from './policy.js';

export type LoginDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number; readonly reason: 'account' | 'ip' };

const GO: LoginDecision = Object.freeze({ allowed: true });

/**
 * Brute-force protection around a password check (DESIGN "Protection defaults").
 *
 * Call `begin` before checking the password: it reserves the attempt as a failure, so of 50
 * parallel guesses at one account only freeFailures + 1 reach the password check. Refused →
 * answer 429 with Retry-After and do not check the password. Call `succeeded` after a
 * correct password; a failure needs no call, it was counted already. A rejection from
 * either means the store cannot answer: fail closed (503).
 *
 * An IP (its /64 for IPv6) that logged into the account within knownIpTtlMs is not held
 * back by the account's counter — a stranger cannot lock the owner out — but by a counter
 * of its own for that account, with the same backoff, so an attacker behind the owner's NAT
 * is slowed all the same.
 */
export class LoginLimiter {
  private readonly policy: LoginLimitPolicy;

  constructor(
    private readonly store: LimiterStore,
    policy: LoginLimitPolicy = DEFAULT_LOGIN_LIMITS,
  ) {
    this.policy = validateLoginLimits(policy);
  }

  /** Rejects when the counters cannot be reached: logins would answer 503. */
  ready(): Promise<void> {
    return this.store.ping?.() ?? Promise.resolve();
  }

  /** `account` is the normalised username, known or not; `ip` null when there is none. */
  async begin(account: string, ip: string | null, now: number): Promise<LoginDecision> {
    const keys = subjects(account, ip);
    const source = keys.source;
    if (source === null) {
      const reservation = await this.store.reserveAccountAttempt(keys.account, now, this.policy);
      return reservation.allowed ? GO : refused('account', reservation.retryAfterMs);
    }
    const known = await this.store.isKnownIp(keys.account, source.ip, now);
    const ipReservation = await this.store.reserveIpAttempt(source.ip, now, this.policy);
    if (!ipReservation.allowed) return refused('ip', ipReservation.retryAfterMs);
    const counter = known ? source.accountFromIp : keys.account;
    let reservation: Reservation;
    try {
      reservation = await this.store.reserveAccountAttempt(counter, now, this.policy);
    } catch (error) {
      // The original error is the one to report; the release is only a courtesy.
      await this.store.releaseIpAttempt(source.ip, now).catch(() => undefined);
      throw error;
    }
    if (reservation.allowed) return GO;
    // Refused before any password check: not a failure of this IP.
    await this.store.releaseIpAttempt(source.ip, now);
    return refused('account', reservation.retryAfterMs);
  }

  /** Resets the account's counters, gives back the IP's reserved attempt and remembers the IP. */
  async succeeded(account: string, ip: string | null, now: number): Promise<void> {
    const { account: accountKey, source } = subjects(account, ip);
    const work = [this.store.resetAccount(accountKey)];
    if (source !== null) {
      work.push(
        this.store.resetAccount(source.accountFromIp),
        this.store.releaseIpAttempt(source.ip, now),
        this.store.rememberIp(accountKey, source.ip, now, this.policy),
      );
    }
    await Promise.all(work);
  }
}

function refused(reason: 'account' | 'ip', retryAfterMs: number): LoginDecision {
  return { allowed: false, retryAfterSeconds: retryAfterSeconds(retryAfterMs), reason };
}

interface Subjects {
  readonly account: string;
  readonly source: {
    readonly ip: string;
    /** The counter of one known IP's attempts at this account. */
    readonly accountFromIp: string;
  } | null;
}

/**
 * A login asks for its keys twice, in `begin` and in `succeeded` a hash later: the second time
 * they are here (three SHA-256 digests saved, with caches the hash swept in between).
 */
const keptSubjects = new BoundedMemo<Subjects>(256, 512);

/**
 * Store keys are digests, not the names: fixed length whatever the attacker sends, and no
 * username (people type passwords into that field) or address lands in Redis in clear.
 */
function subjects(account: string, ip: string | null): Subjects {
  // The IP's length first: one key per (account, ip) pair, whatever either holds.
  return keptSubjects.get(ip === null ? `-${account}` : `${ip.length}:${ip}:${account}`, () => computeSubjects(account, ip));
}

function computeSubjects(account: string, ip: string | null): Subjects {
  const accountKey = digest('account', account);
  if (ip === null) return { account: accountKey, source: null };
  const group = ipGroup(ip);
  return { account: accountKey, source: { ip: digest('ip', group), accountFromIp: digest('account-ip', account, group) } };
}

/** SHA-256 over length-prefixed UTF-16 parts: injective input, even for lone surrogates. */
function digest(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part.length}:`).update(part, 'utf16le');
  return hash.digest('base64url');
}

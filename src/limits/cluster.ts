import type { Channel, Handler } from '../cluster/channel.js';
import type { LimiterStore, Reservation } from './limiter.js';
import type { LoginLimitPolicy } from './policy.js';

/** The question a worker asks the primary for every counter operation. */
export const LIMITS_KIND = 'limits';

type Operation = Exclude<keyof LimiterStore, 'close' | 'ping'>;

/** Each operation, and where its `now` argument is (none for resetAccount). */
const NOW_ARGUMENT: Readonly<Record<Operation, number | undefined>> = {
  reserveAccountAttempt: 1,
  resetAccount: undefined,
  reserveIpAttempt: 1,
  releaseIpAttempt: 1,
  rememberIp: 2,
  isKnownIp: 2,
};

/**
 * The login counters of a cluster without Redis: kept by the primary in one memory store, so
 * that N workers do not give a guesser N times the attempts. Each operation is one question
 * over IPC (tens of µs, against the ~10 ms of the password hash it guards) and is as atomic
 * as the primary's store, which answers one question at a time.
 */
export class ClusterLimiterStore implements LimiterStore {
  constructor(private readonly primary: Channel) {}

  reserveAccountAttempt(key: string, now: number, policy: LoginLimitPolicy): Promise<Reservation> {
    return this.ask('reserveAccountAttempt', [key, now, policy]) as Promise<Reservation>;
  }

  async resetAccount(key: string): Promise<void> {
    await this.ask('resetAccount', [key]);
  }

  reserveIpAttempt(ip: string, now: number, policy: LoginLimitPolicy): Promise<Reservation> {
    return this.ask('reserveIpAttempt', [ip, now, policy]) as Promise<Reservation>;
  }

  async releaseIpAttempt(ip: string, now: number): Promise<void> {
    await this.ask('releaseIpAttempt', [ip, now]);
  }

  async rememberIp(account: string, ip: string, now: number, policy: LoginLimitPolicy): Promise<void> {
    await this.ask('rememberIp', [account, ip, now, policy]);
  }

  isKnownIp(account: string, ip: string, now: number): Promise<boolean> {
    return this.ask('isKnownIp', [account, ip, now]) as Promise<boolean>;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private ask(operation: Operation, args: readonly unknown[]): Promise<unknown> {
    return this.primary.ask(LIMITS_KIND, { operation, args });
  }
}

/**
 * The primary's side: answers the workers' questions from one store. Given `now` (the
 * primary's clock), each operation is timed by it rather than by the worker, so that the
 * counters see one time that moves forward in the order the questions arrive (each worker
 * read its own a moment before asking).
 */
export function limiterHandler(store: LimiterStore, now?: () => number): Handler {
  return (payload) => {
    const { operation, args } = payload as { operation?: unknown; args?: unknown };
    if (typeof operation !== 'string' || !Object.hasOwn(NOW_ARGUMENT, operation) || !Array.isArray(args)) throw new Error('not a limiter operation');
    const at = NOW_ARGUMENT[operation as Operation];
    const timed = at === undefined || now === undefined ? args : args.map((arg: unknown, i) => (i === at ? now() : arg));
    const method = store[operation as Operation] as (...a: unknown[]) => Promise<unknown>;
    return method.apply(store, timed);
  };
}

import { usableCores } from '../../bin/thread-pool.cjs';
import { Unavailable } from '../errors.js';
import { threadPoolSize } from './thread-pool.js';

export interface HashQueueOptions {
  /**
   * Hashes handed to the engine at once; by default one more than the cores. When a hash ends,
   * its login still needs the event loop (token, store write, answer) before the next hash is
   * handed over; with one hash in reserve no core idles meanwhile (measured here: 2 cores, 4
   * clients logging in without pause: +9% logins/s over one per core, no gain from more). With
   * the native addon the reserve waits in the addon's queue (see `threads`); elsewhere it runs
   * as one more thread. At most all but one of libuv's pool threads (UV_THREADPOOL_SIZE; the
   * CLI makes it the cores + 2 unless it is set, libuv's own default is 4), so a thread is
   * always left for other work: the signature check of a new token never waits behind a hash.
   * Each hash costs 19 MiB while it is computed.
   */
  readonly concurrency?: number;
  /** Hashes allowed to wait (default 64 per core); past that, logins are shed with 503 instead of queueing without bound. */
  readonly maxWaiting?: number;
}

/**
 * Admission control for password hashing. A login storm then costs a bounded queue, the
 * rest of the server keeps answering, and clients past the queue hear "try again" at once
 * rather than after a growing wait.
 */
export class HashQueue {
  /** Hashes handed to the engine at once. */
  readonly concurrency: number;
  /**
   * Threads that compute them: one per core, at most `concurrency`. The native argon2 addon
   * hashes on this many and keeps the rest queued, so the one in reserve is ready the moment a
   * thread is free; @node-rs/argon2 and bcrypt take a pool thread for every hash handed over.
   */
  readonly threads: number;
  private readonly maxWaiting: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  /**
   * `processes`: how many servers share the cores (GATEHOUSE_WORKERS); each takes its share of
   * the defaults. `machineCores`: the cores this process may use, its CPU affinity and its
   * cgroup's CPU limit (a container's), as the CLI sized libuv's pool with.
   */
  constructor(options: HashQueueOptions = {}, processes = 1, machineCores = usableCores()) {
    const cores = Math.max(1, Math.ceil(machineCores / Math.max(1, processes)));
    this.concurrency = Math.max(1, options.concurrency ?? Math.min(cores + 1, threadPoolSize() - 1));
    this.threads = Math.min(cores, this.concurrency);
    this.maxWaiting = Math.max(0, options.maxWaiting ?? 64 * cores);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new Unavailable('Too many logins at once; try again shortly', 1);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get depth(): { readonly running: number; readonly waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}

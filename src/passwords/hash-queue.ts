import { availableParallelism } from 'node:os';
import { Unavailable } from '../errors.js';

export interface HashQueueOptions {
  /** Hashes computed at once; more than the cores only adds memory (19 MiB each) and cache thrash. */
  readonly concurrency?: number;
  /** Hashes allowed to wait; past that, logins are shed with 503 instead of queueing without bound. */
  readonly maxWaiting?: number;
}

/**
 * Admission control for password hashing. A login storm then costs a bounded queue, the
 * rest of the server keeps answering, and clients past the queue hear "try again" at once
 * rather than after a growing wait.
 */
export class HashQueue {
  private readonly concurrency: number;
  private readonly maxWaiting: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(options: HashQueueOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? availableParallelism());
    this.maxWaiting = Math.max(0, options.maxWaiting ?? 64 * this.concurrency);
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

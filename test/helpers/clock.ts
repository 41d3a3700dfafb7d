import type { Clock } from '../../src/clock.js';

/** A clock tests move by hand: expiry is reached by `advance`, never by sleeping. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

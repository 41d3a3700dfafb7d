import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { UserStore } from '../store/store.js';

/** How many stored hashes of other kinds are looked at, once, to learn their cost. */
const SAMPLE = 200;
/** Weight of a new verify time in its kind's running average. */
const WEIGHT = 0.2;

/**
 * A hash's kind: its scheme and cost parameters, without salt and digest (`$2b$12`,
 * `$argon2id$v=19$m=65536,t=3,p=4`, `$bcrypt-sha256$v=2,t=2b,r=12`). Verifies of one kind
 * cost the same.
 */
export function hashKind(hash: string): string {
  const fields = hash.split('$');
  // bcrypt keeps salt and digest in one field; PHC strings (argon2, passlib) in two.
  return fields.slice(0, /^\$2[aby]\$/.test(hash) ? -1 : -2).join('$');
}

/**
 * Keeps a failed login from telling which kind of hash an account has, or whether it has one.
 * An unknown name costs one argon2id verify with the current parameters; a wrong password for
 * an account still on an imported bcrypt-12 hash costs ten times that. So every failed login
 * is answered no sooner than the slowest kind of hash the store holds takes to verify, by
 * waiting (a timer, not work): the kinds are sampled from the store at the first failed
 * login, and their times follow the verifies logins make.
 */
export class FailedLoginTiming {
  private readonly averageMs = new Map<string, number>();
  private primed: Promise<void> | undefined;

  constructor(
    private readonly users: Pick<UserStore, 'hashesWithoutPrefix'>,
    private readonly hasher: Pick<PasswordHasher, 'hash' | 'verify'>,
  ) {}

  /** Learns the kinds of hash the store holds and what each costs: one verify of each. Runs once. */
  prime(): Promise<void> {
    this.primed ??= this.learnStoredKinds().catch(() => undefined);
    return this.primed;
  }

  /** A verify of `hash` took `ms`. */
  observe(hash: string, ms: number): void {
    const kind = hashKind(hash);
    const average = this.averageMs.get(kind);
    this.averageMs.set(kind, average === undefined ? ms : average + WEIGHT * (ms - average));
  }

  /** Resolves once the slowest kind's time has passed since `startedMs` (a performance.now() value). */
  async waitOut(startedMs: number): Promise<void> {
    await this.prime();
    const left = this.floorMs() - (performance.now() - startedMs);
    if (left > 1) await sleep(left);
  }

  floorMs(): number {
    let floor = 0;
    for (const ms of this.averageMs.values()) floor = Math.max(floor, ms);
    return floor;
  }

  private async learnStoredKinds(): Promise<void> {
    const password = randomBytes(12).toString('base64url');
    const current = await this.hasher.hash(password);
    const kinds = new Map<string, string>([[hashKind(current), current]]);
    for (const hash of await this.users.hashesWithoutPrefix(`${hashKind(current)}$`, SAMPLE)) {
      if (!kinds.has(hashKind(hash))) kinds.set(hashKind(hash), hash);
    }
    for (const hash of kinds.values()) {
      const started = performance.now();
      await this.hasher.verify(hash, password);
      this.observe(hash, performance.now() - started);
    }
  }
}

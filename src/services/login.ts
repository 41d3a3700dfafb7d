import type { Clock } from '../clock.js';
import { InvalidGrant, SlowDown, Unavailable } from '../errors.js';
import type { LoginDecision, LoginLimiter } from '../limits/login-limiter.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import { MAX_PASSWORD_LENGTH } from '../passwords/policy.js';
import type { AuditEvent, Store, UserRecord } from '../store/store.js';
import type { Audit } from './audit.js';
import type { FailedLoginTiming } from './login-timing.js';
import { normaliseUsername } from './usernames.js';

/** The one answer for every failed login, so it reveals nothing (DESIGN: same body, same time). */
export const LOGIN_FAILED = 'Incorrect username or password';

export interface LoginContext {
  readonly ip: string | null;
  readonly clientId: string;
}

/** A checked login and its `login.success` audit event, which the caller writes (see PasswordGrant). */
export interface SuccessfulLogin {
  readonly user: UserRecord;
  readonly event: AuditEvent;
}

/**
 * Counts an attempt at `account`'s password before the password is looked at, so parallel
 * guesses cannot slip past the threshold: SlowDown (429) when the limiter refuses it (then
 * no password is checked), Unavailable (503) when its counters cannot answer, since without
 * them there is no brute-force protection (fail closed). For logins and for every other
 * check of a password the caller does not already hold a proof of.
 */
export async function reservePasswordAttempt(
  limiter: LoginLimiter,
  account: string,
  ip: string | null,
  now: number,
  onThrottled: (decision: Extract<LoginDecision, { allowed: false }>) => void,
): Promise<void> {
  let decision: LoginDecision;
  try {
    decision = await limiter.begin(account, ip, now);
  } catch {
    throw new Unavailable('Password checks are temporarily unavailable', 5);
  }
  if (!decision.allowed) {
    onThrottled(decision);
    throw new SlowDown(decision.retryAfterSeconds);
  }
}

/** Checks a username and password; upgrades legacy hashes to argon2id after a successful check. */
export class PasswordLogin {
  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly audit: Audit,
    private readonly limiter: LoginLimiter,
    private readonly timing: FailedLoginTiming,
  ) {}

  async authenticate(username: string, password: string, context: LoginContext): Promise<SuccessfulLogin> {
    const normalised = normaliseUsername(username);
    // A password no account can have is refused without hashing: no unbounded hashing cost.
    if ([...password].length > MAX_PASSWORD_LENGTH) return this.fail(normalised, null, context, 'password_too_long');
    await this.reserveAttempt(normalised, context);
    const started = performance.now();
    const user = await this.store.users.findByUsername(normalised);
    if (!user || user.passwordHash === null || user.disabled) {
      // Unknown, password-less and disabled users cost the same work as a wrong password, and
      // take as long as a wrong password for an account on the slowest kind of hash.
      await this.hasher.verifyDummy(password);
      await this.timing.waitOut(started);
      return this.fail(normalised, user ?? null, context, !user ? 'unknown_user' : user.disabled ? 'disabled' : 'no_password');
    }
    const check = await this.hasher.verify(user.passwordHash, password);
    this.timing.observe(user.passwordHash, performance.now() - started);
    if (!check.ok) {
      await this.timing.waitOut(started);
      return this.fail(normalised, user, context, 'wrong_password');
    }
    if (check.needsRehash) await this.rehash(user, user.passwordHash, password);
    await this.limiter.succeeded(normalised, context.ip, this.clock.now()).catch(() => undefined);
    return { user, event: this.audit.event('login.success', { userId: user.id, username: user.username, clientId: context.clientId, ip: context.ip }) };
  }

  private reserveAttempt(normalised: string, context: LoginContext): Promise<void> {
    return reservePasswordAttempt(this.limiter, normalised, context.ip, this.clock.now(), (decision) => {
      void this.audit.record('login.throttled', {
        username: normalised,
        clientId: context.clientId,
        ip: context.ip,
        detail: { reason: decision.reason, retry_after: decision.retryAfterSeconds },
      });
    });
  }

  private async rehash(user: UserRecord, current: string, password: string): Promise<void> {
    const next = await this.hasher.hash(password);
    // Compare-and-set: of two parallel first logins only one write lands; both logins succeed.
    if (await this.store.users.replacePasswordHash(user.id, current, next, this.clock.now())) {
      void this.audit.record('password.rehashed', { userId: user.id, username: user.username, detail: { from: hashScheme(current) } });
    }
  }

  private fail(normalised: string, user: UserRecord | null, context: LoginContext, reason: string): never {
    void this.audit.record('login.failure', {
      userId: user?.id ?? null,
      username: normalised,
      clientId: context.clientId,
      ip: context.ip,
      detail: { reason },
    });
    throw new InvalidGrant(LOGIN_FAILED);
  }
}

function hashScheme(hash: string): string {
  return hash.startsWith('$') ? (hash.split('$')[1] ?? 'unknown') : 'unknown';
}

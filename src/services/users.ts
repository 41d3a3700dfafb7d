import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { Conflict, excerpt, IncorrectPassword, NotFound, PolicyViolation } from '../errors.js';
import type { LoginLimiter } from '../limits/login-limiter.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import { validateNewPassword } from '../passwords/policy.js';
import type { NewUser, Store, UserPatch, UserRecord } from '../store/store.js';
import { actorDetail, type Actor, type Audit } from './audit.js';
import { reservePasswordAttempt } from './login.js';
import type { RefreshTokens } from './refresh-tokens.js';
import { normaliseUsername, validateNewUsername } from './usernames.js';

/** What `/users/me` and the admin API show of a user: never the hash. */
export interface UserProfile {
  readonly id: string;
  readonly username: string;
  readonly email: string | null;
  readonly full_name: string | null;
  readonly disabled: boolean;
  readonly roles: readonly string[];
}

/** A self-registration: always role `user`, enabled. */
export interface RegistrationInput {
  readonly username: string;
  readonly password: string;
  readonly email?: string | null;
  readonly fullName?: string | null;
}

export interface NewUserInput {
  readonly username: string;
  readonly password?: string;
  readonly email?: string | null;
  readonly fullName?: string | null;
  readonly roles?: readonly string[];
  readonly disabled?: boolean;
}

/** A user as an import file describes it: an existing hash is kept as it is. */
export interface ImportedUser {
  readonly username: string;
  readonly email?: string | null;
  readonly fullName?: string | null;
  readonly disabled?: boolean;
  readonly hashedPassword: string;
  readonly roles?: readonly string[];
}

export const DEFAULT_ROLE = 'user';
/** The one answer for a taken name, whatever spelling of it was sent: it echoes nothing back. */
export const USERNAME_TAKEN = 'This username is taken';
export const CURRENT_PASSWORD_INCORRECT = 'The current password is incorrect';
const ROLE = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_EMAIL = 254;
const MAX_FULL_NAME = 256;

export function toProfile(user: UserRecord): UserProfile {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    full_name: user.fullName,
    disabled: user.disabled,
    roles: user.roles,
  };
}

export class UserService {
  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly audit: Audit,
    private readonly sessions: Pick<RefreshTokens, 'end'>,
    /** Counts the current-password checks of changePassword with the logins' (absent for the CLI, which never checks one). */
    private readonly limiter?: LoginLimiter,
  ) {}

  /** Creates a user (CLI, bootstrap, admin API); `actor` is who asked, when it came through the API. */
  async create(input: NewUserInput, actor?: Actor): Promise<UserRecord> {
    const user = await this.insert(input);
    void this.audit.record('user.created', { userId: user.id, username: user.username, ip: actor?.ip ?? null, detail: details(actor) });
    return user;
  }

  /**
   * Self-registration. A taken name answers one Conflict whatever its spelling, and only
   * after the password has been hashed, so it costs what a successful registration costs.
   */
  async register(input: RegistrationInput, ip: string | null): Promise<UserRecord> {
    let user: UserRecord;
    try {
      user = await this.insert({ ...input, roles: [DEFAULT_ROLE], disabled: false });
    } catch (error) {
      if (error instanceof Conflict) throw new Conflict(USERNAME_TAKEN);
      throw error;
    }
    void this.audit.record('user.created', { userId: user.id, username: user.username, ip, detail: { via: 'registration' } });
    return user;
  }

  /** Checks, hashes, then inserts: the store's unique index settles a taken name (Conflict). */
  private async insert(input: NewUserInput): Promise<UserRecord> {
    const usernameNormalized = validateNewUsername(input.username);
    let passwordHash: string | null = null;
    if (input.password !== undefined) {
      validateNewPassword(input.password);
      passwordHash = await this.hasher.hash(input.password);
    }
    return this.store.users.create(this.newUser(input, usernameNormalized, passwordHash));
  }

  /**
   * Imports users with the hashes they already have. The whole batch is checked before
   * anything is written, then written in one transaction; existing usernames are skipped.
   */
  async importUsers(rows: readonly ImportedUser[], onProgress?: (done: number) => void): Promise<{ created: number; skipped: readonly string[] }> {
    const seen = new Map<string, number>();
    const users = rows.map((row, index) => {
      const where = `record ${index + 1} (${excerpt(row.username)})`;
      let usernameNormalized: string;
      try {
        usernameNormalized = validateNewUsername(row.username);
      } catch (error) {
        throw new PolicyViolation(`${where}: ${(error as Error).message}`);
      }
      const earlier = seen.get(usernameNormalized);
      if (earlier !== undefined) throw new PolicyViolation(`${where}: same username as record ${earlier}`);
      seen.set(usernameNormalized, index + 1);
      if (!this.hasher.isRecognisedHash(row.hashedPassword)) {
        throw new PolicyViolation(`${where}: hashed_password is not a bcrypt, bcrypt-sha256 or argon2 hash`);
      }
      try {
        return this.newUser(row, usernameNormalized, row.hashedPassword);
      } catch (error) {
        throw new PolicyViolation(`${where}: ${(error as Error).message}`);
      }
    });
    const result = await this.store.users.createMany(users, onProgress);
    void this.audit.record('user.imported', { detail: { created: result.created, skipped: result.skipped.length } });
    return result;
  }

  private newUser(
    input: Pick<NewUserInput, 'username' | 'email' | 'fullName' | 'roles' | 'disabled'>,
    usernameNormalized: string,
    passwordHash: string | null,
  ): NewUser {
    return {
      id: randomUUID(),
      username: input.username.normalize('NFKC'),
      usernameNormalized,
      email: checkEmail(input.email ?? null),
      fullName: checkFullName(input.fullName ?? null),
      passwordHash,
      disabled: input.disabled ?? false,
      roles: checkRoles(input.roles ?? [DEFAULT_ROLE]),
      createdAt: this.clock.now(),
    };
  }

  async get(id: string): Promise<UserRecord> {
    const user = await this.store.users.findById(id);
    if (!user) throw new NotFound('No such user');
    return user;
  }

  /** Finds a user by the name as typed; undefined when there is none. */
  findByUsername(username: string): Promise<UserRecord | undefined> {
    return this.store.users.findByUsername(normaliseUsername(username));
  }

  async getByUsername(username: string): Promise<UserRecord> {
    const user = await this.findByUsername(username);
    if (!user) throw new NotFound(`No user named ${excerpt(username)}`);
    return user;
  }

  list(query: { limit: number; offset: number; search?: string }): Promise<{ users: readonly UserRecord[]; total: number }> {
    return this.store.users.list({ ...query, ...(query.search ? { search: normaliseUsername(query.search) } : {}) });
  }

  /**
   * Changes profile, roles or the disabled flag. Through the API nobody disables themselves
   * or changes their own roles: an admin cannot lock themselves out by mistake.
   */
  async update(id: string, patch: UserPatch, actor?: Actor): Promise<UserRecord> {
    if (actor !== undefined && actor.userId === id) {
      if (patch.disabled === true) throw new PolicyViolation('You cannot disable your own account; another admin or the CLI can');
      if (patch.roles !== undefined && !sameRoles(patch.roles, (await this.get(id)).roles)) {
        throw new PolicyViolation('You cannot change your own roles; another admin or the CLI can');
      }
    }
    const checked: UserPatch = {
      ...(patch.email !== undefined ? { email: checkEmail(patch.email) } : {}),
      ...(patch.fullName !== undefined ? { fullName: checkFullName(patch.fullName) } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
      ...(patch.roles !== undefined ? { roles: checkRoles(patch.roles) } : {}),
    };
    const before = await this.store.users.findById(id);
    const user = before && (await this.store.users.update(id, checked, this.clock.now()));
    if (!before || !user) throw new NotFound('No such user');
    // The audit names what changed, not what was sent: setting a field to its value is no change.
    const changed = (Object.keys(checked) as (keyof UserPatch)[])
      .filter((field) => (field === 'roles' ? !sameRoles(before.roles, user.roles) : before[field] !== user[field]))
      .map((field) => (field === 'fullName' ? 'full_name' : field));
    if (changed.length > 0) void this.audit.record(patch.disabled === true ? 'user.disabled' : 'user.updated', {
      userId: id,
      username: user.username,
      ip: actor?.ip ?? null,
      detail: { ...details(actor), changed },
    });
    return user;
  }

  async delete(id: string, actor?: Actor): Promise<void> {
    if (actor !== undefined && actor.userId === id) throw new PolicyViolation('You cannot delete your own account; another admin or the CLI can');
    const user = await this.get(id);
    if (!(await this.store.users.delete(id))) throw new NotFound('No such user');
    void this.audit.record('user.deleted', { userId: id, username: user.username, ip: actor?.ip ?? null, detail: details(actor) });
  }

  /** Sets a new password (policy-checked) and ends the user's refresh families: whoever held a session must log in again. */
  async setPassword(id: string, password: string, actor?: Actor): Promise<void> {
    validateNewPassword(password);
    const user = await this.get(id);
    await this.replacePassword(user, await this.hasher.hash(password), actor);
  }

  /**
   * A user changes their own password: the current one must match first. Then every other
   * session of the user ends, with the access tokens issued from it: all refresh families but
   * the one that issued `callerJti`, the caller's access token (none is kept when that token
   * came from no family). setPassword, an admin's, ends them all.
   */
  async changePassword(id: string, current: string, next: string, actor: Actor, callerJti: string): Promise<void> {
    const user = await this.get(id);
    // A stolen access token must not buy unlimited guesses at the password behind it: the
    // check counts against the account as a login does, and a correct one clears it as one.
    if (this.limiter) {
      await reservePasswordAttempt(this.limiter, user.usernameNormalized, actor.ip, this.clock.now(), (decision) => {
        void this.audit.record('password.change_failed', {
          userId: id,
          username: user.username,
          ip: actor.ip,
          detail: { ...actorDetail(actor), reason: 'throttled', retry_after: decision.retryAfterSeconds },
        });
      });
    }
    let matches = false;
    if (user.passwordHash === null) await this.hasher.verifyDummy(current);
    else matches = (await this.hasher.verify(user.passwordHash, current)).ok;
    if (!matches) {
      void this.audit.record('password.change_failed', { userId: id, username: user.username, ip: actor.ip, detail: actorDetail(actor) });
      throw new IncorrectPassword(CURRENT_PASSWORD_INCORRECT);
    }
    await this.limiter?.succeeded(user.usernameNormalized, actor.ip, this.clock.now()).catch(() => undefined);
    validateNewPassword(next);
    await this.replacePassword(user, await this.hasher.hash(next), actor, callerJti);
  }

  private async replacePassword(user: UserRecord, hash: string, actor: Actor | undefined, keepFamilyOf?: string): Promise<void> {
    // Compare-and-set against the hash read before: a change made meanwhile is not overwritten.
    if (!(await this.store.users.replacePasswordHash(user.id, user.passwordHash, hash, this.clock.now()))) {
      throw new Conflict('The password was changed at the same time; try again');
    }
    await this.sessions.end(keepFamilyOf === undefined ? { userId: user.id } : { userId: user.id, keepFamilyOf }, 'password_changed');
    void this.audit.record('password.changed', { userId: user.id, username: user.username, ip: actor?.ip ?? null, detail: details(actor) });
  }
}

function details(actor: Actor | undefined): Readonly<Record<string, unknown>> | undefined {
  return actor === undefined ? undefined : actorDetail(actor);
}

function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((role, i) => role === y[i]);
}

function checkEmail(email: string | null): string | null {
  if (email === null || email === '') return null;
  if (email.length > MAX_EMAIL || !/^[^\s@]+@[^\s@]+$/.test(email)) throw new PolicyViolation('email is not a valid address');
  return email;
}

function checkFullName(name: string | null): string | null {
  if (name === null || name === '') return null;
  if ([...name].length > MAX_FULL_NAME) throw new PolicyViolation(`full name must be at most ${MAX_FULL_NAME} characters`);
  if (/\p{Cc}/u.test(name)) throw new PolicyViolation('full name must not contain control characters');
  return name;
}

function checkRoles(roles: readonly string[]): readonly string[] {
  for (const role of roles) {
    if (!ROLE.test(role)) throw new PolicyViolation(`role ${excerpt(role)} must be 1-64 letters, digits or . _ : -`);
  }
  return [...new Set(roles)].sort();
}

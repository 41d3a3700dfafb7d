import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { Conflict, NotFound, PolicyViolation } from '../errors.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import { validateNewPassword } from '../passwords/policy.js';
import type { NewUser, Store, UserPatch, UserRecord } from '../store/store.js';
import type { Audit } from './audit.js';
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
  ) {}

  async create(input: NewUserInput): Promise<UserRecord> {
    const usernameNormalized = validateNewUsername(input.username);
    let passwordHash: string | null = null;
    if (input.password !== undefined) {
      validateNewPassword(input.password);
      passwordHash = await this.hasher.hash(input.password);
    }
    const user = await this.store.users.create(this.newUser(input, usernameNormalized, passwordHash));
    void this.audit.record('user.created', { userId: user.id, username: user.username });
    return user;
  }

  /**
   * Imports users with the hashes they already have. The whole batch is checked before
   * anything is written, then written in one transaction; existing usernames are skipped.
   */
  async importUsers(rows: readonly ImportedUser[]): Promise<{ created: number; skipped: readonly string[] }> {
    const seen = new Map<string, number>();
    const users = rows.map((row, index) => {
      const where = `record ${index + 1} ("${row.username}")`;
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
    const result = await this.store.users.createMany(users);
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
    if (!user) throw new NotFound(`No user named "${username}"`);
    return user;
  }

  list(query: { limit: number; offset: number; search?: string }): Promise<{ users: readonly UserRecord[]; total: number }> {
    return this.store.users.list({ ...query, ...(query.search ? { search: normaliseUsername(query.search) } : {}) });
  }

  async update(id: string, patch: UserPatch): Promise<UserRecord> {
    const checked: UserPatch = {
      ...(patch.email !== undefined ? { email: checkEmail(patch.email) } : {}),
      ...(patch.fullName !== undefined ? { fullName: checkFullName(patch.fullName) } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
      ...(patch.roles !== undefined ? { roles: checkRoles(patch.roles) } : {}),
    };
    const user = await this.store.users.update(id, checked, this.clock.now());
    if (!user) throw new NotFound('No such user');
    void this.audit.record(patch.disabled === true ? 'user.disabled' : 'user.updated', { userId: id, username: user.username });
    return user;
  }

  async delete(id: string): Promise<void> {
    const user = await this.get(id);
    if (!(await this.store.users.delete(id))) throw new NotFound('No such user');
    void this.audit.record('user.deleted', { userId: id, username: user.username });
  }

  /** Sets a new password (policy-checked) and ends the user's refresh families: whoever held a session must log in again. */
  async setPassword(id: string, password: string): Promise<void> {
    validateNewPassword(password);
    const user = await this.get(id);
    const hash = await this.hasher.hash(password);
    if (!(await this.store.users.replacePasswordHash(id, user.passwordHash, hash, this.clock.now()))) {
      throw new Conflict('The password was changed at the same time; try again');
    }
    await this.sessions.end({ userId: id }, 'password_changed');
    void this.audit.record('password.changed', { userId: id, username: user.username });
  }
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
    if (!ROLE.test(role)) throw new PolicyViolation(`role "${role}" must be 1-64 letters, digits or . _ : -`);
  }
  return [...new Set(roles)].sort();
}

/**
 * The persistence boundary. Services depend on this interface only; SQLite and PostgreSQL
 * implement it (store/sql-store.ts over Kysely) and pass one contract suite
 * (test/store/contract.ts). Races are settled inside the store by single atomic
 * statements, never by read-then-write in a service.
 */
export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly usernameNormalized: string;
  readonly email: string | null;
  readonly fullName: string | null;
  readonly passwordHash: string | null;
  readonly disabled: boolean;
  readonly roles: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type NewUser = Omit<UserRecord, 'updatedAt'>;

export interface UserPatch {
  readonly email?: string | null;
  readonly fullName?: string | null;
  readonly disabled?: boolean;
  readonly roles?: readonly string[];
}

export interface UserQuery {
  readonly limit: number;
  readonly offset: number;
  /** Substring of the normalised username or of the email. */
  readonly search?: string;
}

export interface UserStore {
  /** Throws Conflict when the normalised username exists. */
  create(user: NewUser): Promise<UserRecord>;
  /** Inserts all users in one transaction; those whose normalised username exists are skipped and returned. */
  createMany(users: readonly NewUser[]): Promise<{ readonly created: number; readonly skipped: readonly string[] }>;
  findById(id: string): Promise<UserRecord | undefined>;
  findByUsername(usernameNormalized: string): Promise<UserRecord | undefined>;
  list(query: UserQuery): Promise<{ readonly users: readonly UserRecord[]; readonly total: number }>;
  update(id: string, patch: UserPatch, at: number): Promise<UserRecord | undefined>;
  delete(id: string): Promise<boolean>;
  count(): Promise<number>;
  /** Compare-and-set: replaces the hash only while it is still `expected`, so two parallel rehashes write once. */
  replacePasswordHash(id: string, expected: string | null, next: string, at: number): Promise<boolean>;
}

export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: string;
  /** Public JWK as JSON text. */
  readonly publicJwk: string;
  readonly privateKey: string;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

export interface SigningKeyStore {
  /** Every key, newest first. */
  list(): Promise<readonly SigningKeyRecord[]>;
  /** Adds a key and, in the same transaction, retires every other active key of the algorithm at `at`. */
  rotate(key: SigningKeyRecord, at: number): Promise<void>;
  /** Adds the first key unless one of the algorithm exists; true when this call added it. */
  addIfNone(key: SigningKeyRecord): Promise<boolean>;
  /** Drops keys retired before `before` (their tokens have all expired). */
  prune(before: number): Promise<number>;
}

export interface AuditEvent {
  readonly id: string;
  readonly at: number;
  readonly type: string;
  readonly userId: string | null;
  readonly username: string | null;
  readonly clientId: string | null;
  readonly ip: string | null;
  readonly detail: Readonly<Record<string, unknown>> | null;
}

export interface AuditStore {
  record(event: AuditEvent): Promise<void>;
  list(query: { readonly limit: number; readonly offset: number; readonly type?: string; readonly userId?: string }): Promise<{
    readonly events: readonly AuditEvent[];
    readonly total: number;
  }>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly users: UserStore;
  readonly signingKeys: SigningKeyStore;
  readonly audit: AuditStore;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<readonly string[]>;
  /** Throws when the database cannot answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

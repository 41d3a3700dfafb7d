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
  /**
   * Inserts all users in one transaction; those whose normalised username exists are skipped
   * and returned. `onProgress` is told how many have been written or skipped so far, after each.
   */
  createMany(users: readonly NewUser[], onProgress?: (done: number) => void): Promise<{ readonly created: number; readonly skipped: readonly string[] }>;
  findById(id: string): Promise<UserRecord | undefined>;
  findByUsername(usernameNormalized: string): Promise<UserRecord | undefined>;
  /**
   * The user if this store holds it in memory, answered without I/O (undefined: not held,
   * ask findById/findByUsername). Lets a request whose token and user are both cached be
   * authenticated without a turn of the microtask queue.
   */
  findHeld?(by: 'id' | 'username', value: string): UserRecord | undefined;
  list(query: UserQuery): Promise<{ readonly users: readonly UserRecord[]; readonly total: number }>;
  update(id: string, patch: UserPatch, at: number): Promise<UserRecord | undefined>;
  delete(id: string): Promise<boolean>;
  count(): Promise<number>;
  /** Compare-and-set: replaces the hash only while it is still `expected`, so two parallel rehashes write once. */
  replacePasswordHash(id: string, expected: string | null, next: string, at: number): Promise<boolean>;
  /** Up to `limit` stored password hashes that do not start with `prefix` (taken literally), in no set order. */
  hashesWithoutPrefix(prefix: string, limit: number): Promise<readonly string[]>;
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
  /**
   * Sets each key's private key to `next` where it is still `expected`, all in one transaction;
   * returns how many this call changed (instances starting at once race for the same rows).
   */
  replacePrivateKeys(changes: readonly PrivateKeyChange[]): Promise<number>;
}

export interface PrivateKeyChange {
  readonly kid: string;
  readonly expected: string;
  readonly next: string;
}

export interface ClientRecord {
  readonly id: string;
  readonly name: string;
  /** SHA-256 of the secret; null for a public client. */
  readonly secretHash: string | null;
  /** Scope names the client may be granted (client_credentials). */
  readonly scopes: readonly string[];
  readonly createdAt: number;
}

export interface ClientStore {
  /** Throws Conflict when the id exists. */
  create(client: ClientRecord): Promise<ClientRecord>;
  findById(id: string): Promise<ClientRecord | undefined>;
  list(query: { readonly limit: number; readonly offset: number }): Promise<{ readonly clients: readonly ClientRecord[]; readonly total: number }>;
  /** Deletes the client and, in the same transaction, revokes its refresh families; false when there was none. */
  delete(id: string, at: number): Promise<{ readonly deleted: boolean; readonly revokedAccessTokens: readonly RevokedAccessToken[] }>;
}

/** A login: the chain of refresh tokens that rotation makes from it (RFC 9700 §4.14.2). */
export interface RefreshFamily {
  readonly id: string;
  readonly userId: string;
  readonly clientId: string;
  /** Scopes the resource owner granted at login; a refresh may narrow, never widen them. */
  readonly scopes: readonly string[];
  readonly createdAt: number;
  /** Absolute end of the family, whatever the rotations. */
  readonly expiresAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
  readonly revokedReason: string | null;
}

export interface NewRefreshToken {
  /** SHA-256 of the token; the token itself is never stored. */
  readonly hash: string;
  readonly createdAt: number;
  /** The access token issued with it: revoked with the family. */
  readonly accessJti: string;
  readonly accessExpiresAt: number;
}

export interface RefreshTokenRecord {
  readonly hash: string;
  readonly familyId: string;
  readonly createdAt: number;
  readonly usedAt: number | null;
}

export interface RevokedAccessToken {
  readonly jti: string;
  /** Epoch milliseconds; the revocation matters until then. */
  readonly expiresAt: number;
}

export type RotateOutcome = 'rotated' | 'reused' | 'family_ended';

/**
 * Which families to end: one (optionally only if it is that user's), all of a user's (but the
 * one that issued the access token `keepFamilyOf` names by its jti, when given), or all of a
 * client's.
 */
export type FamilySelector =
  | { readonly familyId: string; readonly userId?: string }
  | { readonly userId: string; readonly keepFamilyOf?: string }
  | { readonly clientId: string };

export interface RefreshStore {
  /** Starts a family with its first token, and `event` when given, in one transaction. */
  startFamily(family: Omit<RefreshFamily, 'lastUsedAt' | 'revokedAt' | 'revokedReason'>, first: NewRefreshToken, event?: AuditEvent): Promise<void>;
  /** The token and its family, by hash. */
  find(hash: string): Promise<{ readonly token: RefreshTokenRecord; readonly family: RefreshFamily } | undefined>;
  /**
   * Consumes `hash` and adds `next` to its family, in one transaction. Consuming is one
   * atomic statement (`UPDATE … WHERE hash = ? AND used_at IS NULL`): of concurrent calls
   * exactly one is `rotated`; the others are `reused`. `family_ended` when the family was
   * revoked or has expired by `at` (nothing is changed then). `event`, when given, is the
   * audit event of the rotation: written in the same transaction, only when `rotated`.
   */
  rotate(hash: string, familyId: string, next: NewRefreshToken, at: number, event?: AuditEvent): Promise<RotateOutcome>;
  /**
   * Revokes the selected live families and, in the same transaction, the access tokens
   * issued from them that have not expired (they go to the revocation list).
   */
  revokeFamilies(
    which: FamilySelector,
    at: number,
    reason: string,
  ): Promise<{ readonly families: number; readonly revokedAccessTokens: readonly RevokedAccessToken[] }>;
  /** A page of the user's families that are live at `at` (not revoked, not expired), newest first, and how many there are. */
  listLive(
    userId: string,
    at: number,
    page: { readonly limit: number; readonly offset: number },
  ): Promise<{ readonly families: readonly RefreshFamily[]; readonly total: number }>;
  /** Drops families that ended (expired or revoked) before `before`, with their tokens. */
  prune(before: number): Promise<number>;
}

export interface RevocationStore {
  /** Records a revoked access token; revoking twice is harmless. */
  add(token: RevokedAccessToken, at: number): Promise<void>;
  /** Tokens revoked at or after `since` that are still unexpired at `now`. */
  since(since: number, now: number): Promise<readonly RevokedAccessToken[]>;
  /** Drops rows of tokens that expired before `now`. */
  prune(now: number): Promise<number>;
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
  readonly clients: ClientStore;
  readonly refresh: RefreshStore;
  readonly revocations: RevocationStore;
  readonly audit: AuditStore;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<readonly string[]>;
  /** Throws when the database cannot answer (readiness). */
  ping(): Promise<void>;
  /**
   * A long-running server calls this once: upkeep the backend would otherwise do inside
   * requests moves to the background (SQLite: WAL checkpoints, on a thread of their own;
   * PostgreSQL does its own). Resolves once in place, rejects when it could not be, and then
   * nothing changed. `onError` hears of it stopping later (the upkeep is then back inline).
   */
  startBackgroundUpkeep(onError: (error: Error) => void): Promise<void>;
  close(): Promise<void>;
}

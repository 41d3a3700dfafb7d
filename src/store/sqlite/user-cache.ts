import type { NewUser, UserPatch, UserQuery, UserRecord, UserStore } from '../store.js';

export interface UserCacheOptions {
  /** SQLite's `PRAGMA data_version`: changes whenever another connection commits. */
  readonly dataVersion: () => number;
  /** How long a look at data_version is trusted (ms): the most another process's change can go unseen. */
  readonly checkEveryMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/**
 * User rows kept in memory for the per-request lookups of authenticated routes. In WAL mode
 * every SQLite read outside a transaction pays for a read lock (~9 µs here), more than the
 * rest of the lookup. Correctness: this connection's own writes go through this class and
 * clear the cache; other connections' commits (the CLI, another instance on the same file)
 * change `data_version`, which is looked at every few milliseconds — so disabling a user
 * from anywhere takes effect within that time.
 */
export class CachedUserStore implements UserStore {
  private readonly byId = new Map<string, UserRecord>();
  private readonly idByName = new Map<string, string>();
  private readonly checkEveryMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private version = Number.NaN;
  private checkedAt = Number.NEGATIVE_INFINITY;
  /** Bumped by every write, so a read that started before it does not cache what it read. */
  private generation = 0;

  constructor(
    private readonly inner: UserStore,
    private readonly options: UserCacheOptions,
  ) {
    this.checkEveryMs = options.checkEveryMs ?? 5;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? (() => performance.now());
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    return this.findHeld('id', id) ?? this.remember(() => this.inner.findById(id));
  }

  async findByUsername(usernameNormalized: string): Promise<UserRecord | undefined> {
    return this.findHeld('username', usernameNormalized) ?? this.remember(() => this.inner.findByUsername(usernameNormalized));
  }

  findHeld(by: 'id' | 'username', value: string): UserRecord | undefined {
    this.revalidate();
    const id = by === 'id' ? value : this.idByName.get(value);
    return id === undefined ? undefined : this.byId.get(id);
  }

  create(user: NewUser): Promise<UserRecord> {
    return this.write(() => this.inner.create(user));
  }

  createMany(users: readonly NewUser[], onProgress?: (done: number) => void): Promise<{ readonly created: number; readonly skipped: readonly string[] }> {
    return this.write(() => this.inner.createMany(users, onProgress));
  }

  update(id: string, patch: UserPatch, at: number): Promise<UserRecord | undefined> {
    return this.write(() => this.inner.update(id, patch, at));
  }

  delete(id: string): Promise<boolean> {
    return this.write(() => this.inner.delete(id));
  }

  replacePasswordHash(id: string, expected: string | null, next: string, at: number): Promise<boolean> {
    return this.write(() => this.inner.replacePasswordHash(id, expected, next, at));
  }

  list(query: UserQuery): Promise<{ readonly users: readonly UserRecord[]; readonly total: number }> {
    return this.inner.list(query);
  }

  count(): Promise<number> {
    return this.inner.count();
  }

  hashesWithoutPrefix(prefix: string, limit: number): Promise<readonly string[]> {
    return this.inner.hashesWithoutPrefix(prefix, limit);
  }

  private revalidate(): void {
    const now = this.now();
    if (now - this.checkedAt < this.checkEveryMs) return;
    this.checkedAt = now;
    const version = this.options.dataVersion();
    if (version !== this.version) {
      this.version = version;
      this.clear();
    }
  }

  private async remember(read: () => Promise<UserRecord | undefined>): Promise<UserRecord | undefined> {
    const generation = this.generation;
    const user = await read();
    if (user && generation === this.generation) {
      if (this.byId.size >= this.maxEntries) this.clear();
      this.byId.set(user.id, user);
      this.idByName.set(user.usernameNormalized, user.id);
    }
    return user;
  }

  private async write<T>(change: () => Promise<T>): Promise<T> {
    this.clear();
    try {
      return await change();
    } finally {
      this.clear();
    }
  }

  private clear(): void {
    this.generation++;
    this.byId.clear();
    this.idByName.clear();
  }
}

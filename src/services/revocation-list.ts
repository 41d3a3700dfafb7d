import type { Clock } from '../clock.js';
import { Unavailable } from '../errors.js';
import type { RevocationStore, RevokedAccessToken } from '../store/store.js';

/** Rows are asked for from this far before the last look, so a late commit or clock skew loses none. */
const OVERLAP_MS = 60_000;
/** After a failed catch-up, requests answer 503 for this long instead of asking the store again. */
const RETRY_AFTER_FAILURE_MS = 1_000;
/** Expired rows are pruned from the store at most this often. */
const PRUNE_EVERY_MS = 10 * 60_000;

export interface RevocationListLog {
  warn(obj: object, msg: string): void;
}

/**
 * Revoked access tokens (by jti), kept in memory so checking one costs no query.
 *
 * Each instance reads the rows revoked since its last look on the same cadence as the
 * signing keys (GATEHOUSE_KEY_REFRESH_INTERVAL), so a revocation made on one instance
 * holds on the others within that interval; the instance that revokes knows at once.
 * Fail closed: when the list has not been read successfully for three intervals, the
 * next check reads it first, and if the store cannot answer, the check throws
 * Unavailable (503) rather than admit a token that may have been revoked.
 */
export class RevocationList {
  private readonly revoked = new Map<string, number>();
  private cursor = 0;
  private lastSuccess = Number.NEGATIVE_INFINITY;
  private lastFailure = Number.NEGATIVE_INFINITY;
  private lastPrune = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: Array<(jti: string) => void> = [];
  private publish: ((tokens: readonly RevokedAccessToken[]) => void) | undefined;

  constructor(
    private readonly store: RevocationStore,
    private readonly clock: Clock,
    /** Seconds between looks at the store. */
    private readonly interval: number,
  ) {}

  /** Longest time a check trusts the list without reading the store again. */
  get maxAgeMs(): number {
    return this.interval * 3000;
  }

  /** Called with each jti this instance learns is revoked (the verified-token cache evicts it). */
  onRevoked(listener: (jti: string) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Whether the token is revoked; reads the store first only when the list is stale, so
   * the answer is a promise only then (every request asks: no promise when none is needed).
   */
  isRevoked(jti: string): boolean | Promise<boolean> {
    const now = this.clock.now();
    if (now - this.lastSuccess > this.maxAgeMs) return this.catchUp(now).then(() => this.listed(jti, now));
    return this.listed(jti, now);
  }

  /** What isRevoked answers when that needs no read of the store; undefined when it would read (and nothing is read). */
  isRevokedIfKnown(jti: string): boolean | undefined {
    const now = this.clock.now();
    return now - this.lastSuccess > this.maxAgeMs ? undefined : this.listed(jti, now);
  }

  private listed(jti: string, now: number): boolean {
    const expiresAt = this.revoked.get(jti);
    return expiresAt !== undefined && expiresAt > now;
  }

  /** Revokes an access token: stored for every instance, known here at once. */
  async revoke(token: RevokedAccessToken): Promise<void> {
    await this.store.add(token, this.clock.now());
    this.note([token]);
  }

  /** Tokens revoked elsewhere in this process's store writes (family revocations). */
  note(tokens: readonly RevokedAccessToken[]): void {
    this.remember(tokens);
    if (tokens.length > 0) this.publish?.(tokens);
  }

  /**
   * Also tells `publish` of every revocation this process makes (the primary of a cluster
   * passes them to the other workers at once; without it they would learn of them from the
   * store within an interval).
   */
  publishTo(publish: (tokens: readonly RevokedAccessToken[]) => void): void {
    this.publish = publish;
  }

  /** Revocations another worker of the cluster made: known here at once, not told again. */
  noteFromPeer(tokens: readonly RevokedAccessToken[]): void {
    this.remember(tokens);
  }

  private remember(tokens: readonly RevokedAccessToken[]): void {
    for (const token of tokens) {
      const known = this.revoked.has(token.jti);
      this.revoked.set(token.jti, token.expiresAt);
      if (!known) for (const listener of this.listeners) listener(token.jti);
    }
  }

  /** Reads the rows revoked since the last look; concurrent callers share one read. */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async catchUp(now: number): Promise<void> {
    if (now - this.lastFailure < RETRY_AFTER_FAILURE_MS) throw unavailable();
    try {
      await this.refresh();
    } catch {
      this.lastFailure = this.clock.now();
      throw unavailable();
    }
  }

  private async load(): Promise<void> {
    const started = this.clock.now();
    const rows = await this.store.since(this.cursor, started);
    this.remember(rows);
    for (const [jti, expiresAt] of this.revoked) if (expiresAt <= started) this.revoked.delete(jti);
    this.cursor = Math.max(0, started - OVERLAP_MS);
    this.lastSuccess = started;
    if (started - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = started;
      await this.store.prune(started);
    }
  }

  startRefreshing(log: RevocationListLog): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => log.warn({ err: error }, 'could not read revoked tokens; will fail closed if this lasts'));
    }, this.interval * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

function unavailable(): Unavailable {
  return new Unavailable('Token revocations cannot be checked right now; try again shortly', 1);
}

import type { Clock } from '../clock.js';
import type { JwtAlgorithm } from '../config.js';
import type { JwsKey } from '../tokens/jwt.js';
import { fetchJson, freshnessOf, IssuerHttpError, type Fetch } from './http.js';
import { keyFromJwk } from './keys.js';

export interface GuardLog {
  warn(details: object, message: string): void;
}

export interface RemoteKeySetOptions {
  /** The JWKS address, or how to find it (discovery) on first need. */
  readonly url: () => Promise<string>;
  readonly algorithms: readonly JwtAlgorithm[];
  readonly fetch: Fetch;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** Least time between two refetches for an unknown kid. */
  readonly cooldownMs: number;
  readonly log: GuardLog | undefined;
  /** Called after a refetch that dropped keys, so tokens they verified stop being trusted. */
  readonly onKeysRemoved: () => void;
}

/** A JWKS that says nothing about caching is fresh this long. */
const DEFAULT_FRESHNESS_S = 300;
/** Whatever the headers say, the set is not refetched in the background more often than this... */
const MIN_FRESHNESS_S = 5;
/** ...nor trusted without a look for longer than this. */
const MAX_FRESHNESS_S = 86_400;
/** After a failed fetch, no new attempt for this long (an issuer that is down is not hammered). */
const FAILURE_BACKOFF_MS = 1_000;

/**
 * The issuer's signing keys, fetched on first need and kept by the JWKS's HTTP cache
 * headers. Lookups are synchronous: the hot path never waits for the network. A stale
 * set keeps serving while a background refetch runs (stale-while-revalidate), and stays
 * in use when the issuer cannot be reached. An unknown kid may force a refetch, at most
 * once per cooldown, so forged kids cannot turn into a request storm on the issuer.
 */
export class RemoteKeySet {
  private keys = new Map<string, JwsKey>();
  private loaded = false;
  private freshUntil = 0;
  private retryAt = 0;
  private lastForcedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private etag: string | undefined;
  private lastModified: string | undefined;
  private fetches = 0;

  constructor(private readonly options: RemoteKeySetOptions) {}

  /** True once a key set has been fetched; until then nothing can be verified. */
  get ready(): boolean {
    return this.loaded;
  }

  /** How many times the JWKS was requested (for metrics and tests). */
  get fetchCount(): number {
    return this.fetches;
  }

  /** The key for a kid, synchronously. A stale set starts a background refetch and is used meanwhile. */
  get(kid: string): JwsKey | undefined {
    if (this.loaded && this.inflight === undefined) {
      const now = this.options.clock.now();
      if (now >= this.freshUntil && now >= this.retryAt) void this.refresh();
    }
    return this.keys.get(kid);
  }

  /**
   * A token names a kid this set does not have (a rotation, or a forgery). Returns a
   * promise that settles after a refetch, or undefined when none is allowed now: one is
   * already known to have failed recently, or the cooldown since the last forced one has
   * not passed. The promise never rejects; `ready` tells whether keys are there.
   */
  refetchForUnknownKid(): Promise<void> | undefined {
    if (this.inflight !== undefined) return this.inflight;
    const now = this.options.clock.now();
    if (now < this.retryAt) return undefined;
    if (this.loaded) {
      if (now - this.lastForcedAt < this.options.cooldownMs) return undefined;
      this.lastForcedAt = now;
    }
    return this.refresh();
  }

  private refresh(): Promise<void> {
    const run = this.load().then(
      () => {
        this.retryAt = 0;
      },
      (error: unknown) => {
        this.retryAt = this.options.clock.now() + FAILURE_BACKOFF_MS;
        this.options.log?.warn(
          { err: error instanceof Error ? error.message : String(error), keysInUse: this.keys.size },
          this.loaded ? 'could not refresh the issuer JWKS; keeping the keys already known' : 'could not fetch the issuer JWKS',
        );
      },
    );
    this.inflight = run.finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async load(): Promise<void> {
    const url = await this.options.url();
    const headers: Record<string, string> = {};
    // RFC 9110 §13.1: revalidate instead of downloading an unchanged set.
    if (this.loaded && this.etag !== undefined) headers['if-none-match'] = this.etag;
    if (this.loaded && this.lastModified !== undefined) headers['if-modified-since'] = this.lastModified;
    this.fetches += 1;
    const answer = await fetchJson(this.options.fetch, url, { headers }, this.options.timeoutMs);
    const now = this.options.clock.now();
    const fresh = Math.min(MAX_FRESHNESS_S, Math.max(MIN_FRESHNESS_S, freshnessOf(answer.headers, DEFAULT_FRESHNESS_S)));
    if (answer.status === 304) {
      this.freshUntil = now + fresh * 1000;
      return;
    }
    const list = (answer.body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(list)) throw new IssuerHttpError(`${url}: not a JWK Set (RFC 7517 §5)`);
    const keys = new Map<string, JwsKey>();
    for (const jwk of list) {
      const key = keyFromJwk(jwk, this.options.algorithms);
      // RFC 7517 §4.5: kids should be unique; on a clash the first key wins.
      if (key && !keys.has(key.kid)) keys.set(key.kid, key);
    }
    const removed = [...this.keys.keys()].some((kid) => !keys.has(kid));
    this.keys = keys;
    this.loaded = true;
    this.freshUntil = now + fresh * 1000;
    this.etag = answer.headers.get('etag') ?? undefined;
    this.lastModified = answer.headers.get('last-modified') ?? undefined;
    if (removed) this.options.onKeysRemoved();
  }
}

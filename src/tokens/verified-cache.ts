export interface VerifiedTokenCacheLimits {
  /** Entries kept at most; 0 turns the cache off. */
  readonly maxEntries: number;
  /**
   * What the entries may take, estimated as token length + ENTRY_OVERHEAD_BYTES each. A count
   * alone lets memory grow with token size: 10 000 tokens of 600 bytes take ~9 MB of heap,
   * and tokens of some kilobytes several times that.
   */
  readonly maxBytes?: number;
  /**
   * Keep a token from the first time it is set, not from the second (see VerifiedTokenCache
   * on admission): for answers that cost far more than an entry, such as an introspection
   * round trip to the issuer.
   */
  readonly admitAtFirstSet?: boolean;
}

/**
 * Heap an entry takes besides the token's characters (one byte each: JWTs are ASCII): the
 * claims object and its strings, the entry, the Map slot. Measured on Gatehouse's own
 * access tokens (~370 bytes); rounded up.
 */
export const ENTRY_OVERHEAD_BYTES = 400;

interface Entry<T> {
  readonly key: string;
  readonly token: string;
  readonly value: T;
  readonly expiresAt: number;
}

/**
 * Tokens already verified, so a client reusing its token skips the signature check.
 * Bounded by count and by size (oldest entries go first) and expiry-aware: an entry never
 * outlives its token, and revocation evicts by jti.
 *
 * Admission: a token is kept from its second verification on. A token used only once (a
 * client that logs in before every call, a burst of one-time tokens, each a new token) then
 * takes no entry, costs no garbage collection for one, and pushes no token that clients do
 * reuse out of the cache; a reused token pays one more signature check, once. The first
 * verification only leaves a 32-bit fingerprint of the token in a fixed table (one slot per
 * fingerprint, overwritten by later ones; no objects), which the second finds. Two tokens
 * sharing a fingerprint only admit one of them at its first verification, as without
 * admission.
 */
export class VerifiedTokenCache<T extends { readonly jti?: unknown }> {
  /** By keyOf(token); each entry holds its whole token, which a hit must equal. */
  private readonly entries = new Map<string, Entry<T>>();
  /**
   * Entries oldest first from `head`, including some deleted since (skipped when reached).
   * Eviction does not take the Map's first key: a Map keeps deleted slots until it rehashes,
   * and finding its first live key walks past them, thousands per eviction on a full cache.
   */
  private order: (Entry<T> | undefined)[] = [];
  private head = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private bytes = 0;
  /** Fingerprints of tokens verified once (see admission above); undefined: admit at once. */
  private readonly seenOnce: Uint32Array | undefined;

  constructor(limits: VerifiedTokenCacheLimits | number = 10_000) {
    const { maxEntries, maxBytes = Number.POSITIVE_INFINITY, admitAtFirstSet = false } = typeof limits === 'number' ? { maxEntries: limits } : limits;
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    // Four slots an entry: a fingerprint lasts, on average, while four cache-fulls of other
    // tokens are verified once.
    this.seenOnce = admitAtFirstSet || maxEntries <= 0 ? undefined : new Uint32Array(slotsFor(maxEntries));
  }

  get(token: string, now: number): T | undefined {
    const key = keyOf(token);
    const entry = this.entries.get(key);
    if (!entry || entry.token !== token) return undefined;
    if (entry.expiresAt <= now) {
      this.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Records a verified token; kept from its second verification on (see admission above). */
  set(token: string, value: T, expiresAt: number): void {
    const cost = costOf(token);
    if (this.maxEntries <= 0 || cost > this.maxBytes || !this.admits(token)) return;
    const key = keyOf(token);
    this.delete(key);
    while (this.entries.size > 0 && (this.entries.size >= this.maxEntries || this.bytes + cost > this.maxBytes)) {
      if (!this.evictOldest()) break;
    }
    const entry = { key, token, value, expiresAt };
    this.entries.set(key, entry);
    this.order.push(entry);
    this.bytes += cost;
    // Compact when the evicted slots are half of `order`, or when deleted entries (which hold
    // their tokens until eviction reaches them) outnumber a quarter of the live ones, so the
    // byte budget stays close to what is held.
    const deleted = this.order.length - this.head - this.entries.size;
    if ((this.head >= 1024 && this.head * 2 >= this.order.length) || deleted > (this.entries.size >> 2) + 64) this.compact();
  }

  /** Drops every entry of the given jti (revocation). */
  evictJti(jti: string): void {
    for (const [key, entry] of this.entries) if (entry.value.jti === jti) this.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.order = [];
    this.head = 0;
    this.bytes = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The estimated size of the entries (see maxBytes). */
  get sizeInBytes(): number {
    return this.bytes;
  }

  /** Whether a token's fingerprint was left by an earlier verification; leaves it there otherwise. */
  private admits(token: string): boolean {
    if (this.seenOnce === undefined) return true;
    const print = fingerprintOf(token);
    const slot = (print >>> 1) & (this.seenOnce.length - 1); // bit 0 is always set
    if (this.seenOnce[slot] === print) return true;
    this.seenOnce[slot] = print;
    return false;
  }

  /** Deletes the oldest live entry; false only if `order` had none (every live entry is in it). */
  private evictOldest(): boolean {
    let evicted = false;
    while (!evicted && this.head < this.order.length) {
      const entry = this.order[this.head];
      this.order[this.head++] = undefined;
      if (entry !== undefined && this.entries.get(entry.key) === entry) {
        this.delete(entry.key);
        evicted = true;
      }
    }
    return evicted;
  }

  /** Drops the deleted entries and the evicted slots from `order`, keeping the live ones in order. */
  private compact(): void {
    this.order = this.order.slice(this.head).filter((entry) => entry !== undefined && this.entries.get(entry.key) === entry);
    this.head = 0;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry !== undefined && this.entries.delete(key)) this.bytes -= costOf(entry.token);
  }
}

/** Four slots an entry, a power of two, from 1,024 up to 65,536 (256 KB). */
function slotsFor(maxEntries: number): number {
  return 2 ** Math.min(16, Math.max(10, Math.ceil(Math.log2(maxEntries * 4))));
}

/**
 * FNV-1a over the token's last 16 characters, all signature (see keyOf), never 0 (an empty
 * slot). Not secret: the worst a chosen collision does is admit a token at its first
 * verification, and only verified tokens reach the cache.
 */
function fingerprintOf(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, token.length - 16); i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  return (hash | 1) >>> 0;
}

function costOf(token: string): number {
  return token.length + ENTRY_OVERHEAD_BYTES;
}

/**
 * The map key: the token's last 64 characters, all signature. A header's token is a new
 * string each request, and hashing it for the lookup is linear in its length (a few per
 * cent of a cached request at ~600 characters). The entry keeps the whole token, and a hit
 * must equal it, so a token that only ends like a cached one is a miss (and replaces it).
 */
function keyOf(token: string): string {
  return token.length > 64 ? token.slice(-64) : token;
}

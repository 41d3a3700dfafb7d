import type { JsonWebKey } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { JwsKey } from '../tokens/jwt.js';
import { generateSigningKey, loadSigningKey, secretKey, type AsymmetricAlgorithm, type LoadedKey } from '../tokens/signing-keys.js';
import type { Store } from '../store/store.js';
import { encryptPlaintextKeys } from './key-encryption.js';

/** A retired key stays published this long after its last token can have expired (clock skew). */
const PUBLISH_MARGIN_MS = 60_000;
/** Fewest milliseconds between looks at the store on behalf of unknown kids: made-up kids must not each cost a query. */
const UNKNOWN_KID_LOOK_MS = 1_000;

export interface KeyringLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * The signing keys every instance shares through the store. The newest key whose time has
 * come signs; retired keys keep verifying, and stay in JWKS, until the last token they signed
 * has expired. Instances look at the store every few seconds, so `gatehouse keys rotate`
 * reaches running servers without a restart.
 *
 * A rotated-in key is published at once but signs only from two refresh intervals later
 * (its `createdAt`; its predecessor is retired at that same moment): by then every instance
 * has loaded it and lists it in its JWKS, so an API that fetches the JWKS for a new kid, from
 * whichever instance a load balancer picks, finds it.
 */
export class Keyring {
  private keys: readonly LoadedKey[] = [];
  private byKid = new Map<string, LoadedKey>();
  private jwksDocument: { keys: JsonWebKey[] } = { keys: [] };
  private fingerprint = '';
  private timer: NodeJS.Timeout | undefined;
  private lastUnknownKidLook = Number.NEGATIVE_INFINITY;
  private looking: Promise<void> | undefined;

  private constructor(
    private readonly config: Config,
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Loads the keys, generating the first one when the store has none. */
  static async open(config: Config, store: Store, clock: Clock, log: KeyringLog): Promise<Keyring> {
    const keyring = await Keyring.load(config, store, clock, log);
    if (config.jwtAlgorithm === 'HS256') return keyring;
    if (!keyring.currentKey()) {
      await store.signingKeys.addIfNone(generateSigningKey(config.jwtAlgorithm, clock.now(), config.keyEncryptionKey));
      await keyring.refresh();
    }
    if (!keyring.currentKey()) throw new Error('no signing key could be created');
    return keyring;
  }

  /**
   * Loads the keys the store holds, none on a fresh store (only `open` makes the first). With a
   * key-encryption key, keys still stored in plaintext are encrypted first, whichever algorithm
   * they are of.
   */
  static async load(config: Config, store: Store, clock: Clock, log: KeyringLog): Promise<Keyring> {
    if (config.keyEncryptionKey) {
      const encrypted = await encryptPlaintextKeys(store.signingKeys, config.keyEncryptionKey);
      if (encrypted > 0) log.info({ encrypted }, `encrypted ${encrypted} plaintext signing key${encrypted === 1 ? '' : 's'} with GATEHOUSE_KEY_ENCRYPTION_KEY`);
    }
    const keyring = new Keyring(config, store, clock);
    if (config.jwtAlgorithm === 'HS256') keyring.install([secretKey(config.jwtSecret as Buffer)], 'hs256');
    else await keyring.refresh();
    return keyring;
  }

  get symmetric(): boolean {
    return this.config.jwtAlgorithm === 'HS256';
  }

  signingKey(): LoadedKey {
    const current = this.currentKey();
    if (!current) throw new Error('keyring has no signing key');
    return current;
  }

  /**
   * The newest key that signs now: made current (`createdAt`) and not yet retired. Failing
   * that (another instance's clock ahead of this one's at the very first key), the newest
   * key not retired.
   */
  private currentKey(): LoadedKey | undefined {
    const now = this.clock.now();
    const live = (k: LoadedKey): boolean => k.retiredAt === null || k.retiredAt > now;
    return this.keys.find((k) => k.createdAt <= now && live(k)) ?? this.keys.find(live);
  }

  /** Whether `key` signs now, is yet to, or no longer does. */
  statusOf(key: LoadedKey): 'current' | 'next' | 'retired' {
    const now = this.clock.now();
    if (key.retiredAt !== null && key.retiredAt <= now) return 'retired';
    return key === this.currentKey() ? 'current' : 'next';
  }

  /** The verification key for a kid, only while it is still published. */
  verifierFor(kid: string): JwsKey | undefined {
    return this.byKid.get(kid)?.verifier;
  }

  all(): readonly LoadedKey[] {
    return this.keys;
  }

  jwks(): { keys: JsonWebKey[] } {
    return this.jwksDocument;
  }

  /** Re-reads the store; returns true when the set of keys changed. */
  async refresh(): Promise<boolean> {
    if (this.symmetric) return false;
    const records = await this.store.signingKeys.list();
    const now = this.clock.now();
    const horizon = this.config.accessTokenTtl * 1000 + PUBLISH_MARGIN_MS;
    const live = records.filter((r) => r.alg === this.config.jwtAlgorithm && (r.retiredAt === null || r.retiredAt + horizon > now));
    const fingerprint = live.map((r) => `${r.kid}:${r.retiredAt ?? ''}`).join(',');
    if (fingerprint === this.fingerprint) return false;
    // KeyObjects are made once per key; a refresh only loads keys it has not seen.
    const loaded = live.map((r) => {
      const known = this.byKid.get(r.kid);
      return known && known.retiredAt === r.retiredAt ? known : loadSigningKey(r, this.config.keyEncryptionKey);
    });
    this.install(loaded, fingerprint);
    return true;
  }

  private install(keys: readonly LoadedKey[], fingerprint: string): void {
    this.keys = keys;
    this.byKid = new Map(keys.map((k) => [k.kid, k]));
    this.jwksDocument = { keys: keys.flatMap((k) => (k.publicJwk ? [k.publicJwk as JsonWebKey] : [])) };
    this.fingerprint = fingerprint;
  }

  /**
   * A token names a kid this instance has not loaded. Another instance may have made a new key
   * current since this one last looked (a look every GATEHOUSE_KEY_REFRESH_INTERVAL), and its
   * tokens must not be refused here meanwhile: look now. At most one look at a time and one a
   * second, whatever the number of such tokens; callers check their token again afterwards.
   */
  reloadForUnknownKid(): Promise<void> {
    if (this.symmetric) return Promise.resolve();
    if (this.looking) return this.looking;
    const now = this.clock.now();
    // Only these looks count: one on the timer says nothing of keys made since.
    if (now - this.lastUnknownKidLook < UNKNOWN_KID_LOOK_MS) return Promise.resolve();
    this.lastUnknownKidLook = now;
    const look = this.refresh()
      .then(() => undefined)
      .finally(() => {
        this.looking = undefined;
      });
    this.looking = look;
    return look;
  }

  /**
   * Publishes a new key that becomes current `activationDelayMs` from now; the current one is
   * retired at that moment and keeps verifying. Returns the new key.
   */
  async rotate(): Promise<LoadedKey> {
    if (this.symmetric) throw new Error('HS256 uses GATEHOUSE_JWT_SECRET; rotate it by changing the secret');
    const now = this.clock.now();
    const from = now + this.activationDelayMs;
    const record = generateSigningKey(this.config.jwtAlgorithm as AsymmetricAlgorithm, from, this.config.keyEncryptionKey);
    await this.store.signingKeys.rotate(record, from);
    // Keys retired long enough ago that no token of theirs can still be live are dropped.
    await this.store.signingKeys.prune(now - this.config.accessTokenTtl * 1000 - PUBLISH_MARGIN_MS);
    await this.refresh();
    const key = this.byKid.get(record.kid);
    if (!key) throw new Error('the new signing key was not stored');
    return key;
  }

  /** How long a rotated-in key is published before it signs: two looks of every instance. */
  get activationDelayMs(): number {
    return 2 * this.config.keyRefreshInterval * 1000;
  }

  /** Polls the store so rotations made elsewhere take effect here within the interval. */
  startRefreshing(log: KeyringLog): void {
    if (this.symmetric || this.timer) return;
    this.timer = setInterval(() => {
      this.refresh().then(
        (changed) => {
          if (changed) log.info({ kids: this.keys.map((k) => k.kid) }, 'signing keys reloaded');
        },
        (error: unknown) => log.warn({ err: error }, 'could not reload signing keys; keeping the current ones'),
      );
    }, this.config.keyRefreshInterval * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

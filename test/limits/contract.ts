import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LimiterStore } from '../../src/limits/limiter.js';
import { LoginLimiter } from '../../src/limits/login-limiter.js';
import { DEFAULT_LOGIN_LIMITS, backoffMs } from '../../src/limits/policy.js';
import type { LoginLimitPolicy } from '../../src/limits/policy.js';
import { ManualClock } from '../helpers/clock.js';

export interface LimiterFixture {
  readonly store: LimiterStore;
  cleanup(): Promise<void>;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

/** A name no other test uses: every test gets its own accounts and addresses in a shared store. */
function account(): string {
  return `user-${randomUUID()}`;
}

let lastIp = 0;
function newIp(): string {
  lastIp += 1;
  return `10.${(lastIp >> 16) & 0xff}.${(lastIp >> 8) & 0xff}.${lastIp & 0xff}`;
}

/** The behaviour every LimiterStore backend must have; each backend's test file runs it once. */
export function limiterContract(name: string, open: () => Promise<LimiterFixture>): void {
  describe(`Limiter contract: ${name}`, () => {
    let fixture: LimiterFixture;
    let store: LimiterStore;
    let limiter: LoginLimiter;
    before(async () => {
      fixture = await open();
      store = fixture.store;
      limiter = new LoginLimiter(store);
    });
    after(() => fixture.cleanup());

    async function fail(times: number, name: string, ip: string | null, clock: ManualClock): Promise<void> {
      for (let i = 0; i < times; i += 1) {
        assert.deepEqual(await limiter.begin(name, ip, clock.now()), { allowed: true }, `attempt ${i + 1}`);
      }
    }

    it('does not refuse a free attempt whose time was read a moment before another one’s (parallel workers or instances)', async () => {
      const alice = account();
      const policy: LoginLimitPolicy = DEFAULT_LOGIN_LIMITS;
      const t = 1_700_000_000_000;
      assert.deepEqual(await store.reserveAccountAttempt(alice, t + 5, policy), { allowed: true });
      // Arrives second, but its clock was read 5 ms earlier: still a free failure, not a wait.
      assert.deepEqual(await store.reserveAccountAttempt(alice, t, policy), { allowed: true });
    });

    it('lets five failures through free, then waits 1 s, 2 s, 4 s … after each further one, up to 15 minutes', async () => {
      const clock = new ManualClock();
      const alice = account();
      const ip = newIp();
      await fail(5, alice, ip, clock);
      const waits: number[] = [];
      for (let n = 6; n <= 18; n += 1) {
        assert.deepEqual(await limiter.begin(alice, ip, clock.now()), { allowed: true }, `failure ${n}`);
        const refusal = await limiter.begin(alice, ip, clock.now());
        assert.equal(refusal.allowed, false);
        if (refusal.allowed) return;
        assert.equal(refusal.reason, 'account');
        waits.push(refusal.retryAfterSeconds);
        clock.advance(refusal.retryAfterSeconds * SECOND - 1);
        assert.equal((await limiter.begin(alice, ip, clock.now())).allowed, false, `one millisecond early after failure ${n}`);
        clock.advance(1);
      }
      assert.deepEqual(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]);
    });

    it('answers the exact remaining wait in milliseconds, and Retry-After rounded up to whole seconds', async () => {
      const clock = new ManualClock();
      const key = account();
      for (let n = 1; n <= 20; n += 1) {
        assert.deepEqual(await store.reserveAccountAttempt(key, clock.now(), DEFAULT_LOGIN_LIMITS), { allowed: true }, `failure ${n}`);
        const wait = backoffMs(n, DEFAULT_LOGIN_LIMITS);
        if (wait === 0) continue;
        clock.advance(250);
        assert.deepEqual(await store.reserveAccountAttempt(key, clock.now(), DEFAULT_LOGIN_LIMITS), { allowed: false, retryAfterMs: wait - 250 });
        clock.advance(wait - 250);
      }
      const bob = account();
      await fail(6, bob, null, clock);
      clock.advance(1);
      assert.deepEqual(await limiter.begin(bob, null, clock.now()), { allowed: false, retryAfterSeconds: 1, reason: 'account' });
    });

    it('does not count a refused attempt as a failure', async () => {
      const clock = new ManualClock();
      const carol = account();
      const ip = newIp();
      await fail(6, carol, ip, clock);
      for (let i = 0; i < 20; i += 1) assert.equal((await limiter.begin(carol, ip, clock.now())).allowed, false);
      clock.advance(SECOND);
      await fail(1, carol, ip, clock);
      assert.deepEqual(await limiter.begin(carol, ip, clock.now()), { allowed: false, retryAfterSeconds: 2, reason: 'account' });
    });

    it('resets the account after a success', async () => {
      const clock = new ManualClock();
      const dave = account();
      const ip = newIp();
      await fail(6, dave, ip, clock);
      clock.advance(SECOND);
      await fail(1, dave, ip, clock);
      clock.advance(2 * SECOND);
      await fail(1, dave, ip, clock);
      await limiter.succeeded(dave, ip, clock.now());
      await fail(6, dave, newIp(), clock);
      assert.deepEqual(await limiter.begin(dave, newIp(), clock.now()), { allowed: false, retryAfterSeconds: 1, reason: 'account' });
    });

    it('keeps one counter per account', async () => {
      const clock = new ManualClock();
      const ip = newIp();
      const erin = account();
      await fail(6, erin, ip, clock);
      await fail(6, account(), ip, clock);
      assert.equal((await limiter.begin(erin, ip, clock.now())).allowed, false);
    });

    it('keeps each account’s counter through 300 other accounts’ attempts, with and without an IP', async () => {
      const clock = new ManualClock();
      const ip = newIp();
      const frank = account();
      const grace = account();
      await fail(6, frank, ip, clock);
      await fail(6, grace, null, clock);
      // An account named like another pair's key gets a counter of its own.
      await fail(6, `${ip.length}:${ip}:${grace}`, null, clock);
      await fail(6, `-${frank}`, ip, clock);
      for (let i = 0; i < 300; i += 1) await fail(1, account(), i % 2 === 0 ? newIp() : null, clock);
      assert.equal((await limiter.begin(frank, ip, clock.now())).allowed, false);
      assert.equal((await limiter.begin(grace, null, clock.now())).allowed, false);
      await limiter.succeeded(frank, ip, clock.now());
      assert.deepEqual(await limiter.begin(frank, ip, clock.now()), { allowed: true });
      assert.equal((await limiter.begin(grace, null, clock.now())).allowed, false);
    });

    it('does not hold back an IP that logged into the account before, but holds back a new one', async () => {
      const clock = new ManualClock();
      const frank = account();
      const home = newIp();
      await fail(1, frank, home, clock);
      await limiter.succeeded(frank, home, clock.now());
      const stranger = newIp();
      await fail(6, frank, stranger, clock);
      assert.deepEqual(await limiter.begin(frank, stranger, clock.now()), { allowed: false, retryAfterSeconds: 1, reason: 'account' });
      assert.deepEqual(await limiter.begin(frank, newIp(), clock.now()), { allowed: false, retryAfterSeconds: 1, reason: 'account' });
      assert.deepEqual(await limiter.begin(frank, home, clock.now()), { allowed: true });
    });

    it("holds a known IP back by its own failures at the account, not by other IPs' or the account's", async () => {
      const clock = new ManualClock();
      const grace = account();
      const office = newIp();
      await fail(1, grace, office, clock);
      await limiter.succeeded(grace, office, clock.now());
      await fail(6, grace, office, clock);
      assert.deepEqual(await limiter.begin(grace, office, clock.now()), { allowed: false, retryAfterSeconds: 1, reason: 'account' });
      // The office's failures did not touch the account's own counter.
      await fail(6, grace, newIp(), clock);
      // A success from anywhere resets both.
      clock.advance(SECOND);
      await fail(1, grace, office, clock);
      await limiter.succeeded(grace, office, clock.now());
      await fail(6, grace, office, clock);
    });

    it('forgets a known IP 30 days after its last login', async () => {
      const clock = new ManualClock();
      const heidi = account();
      const home = newIp();
      await fail(1, heidi, home, clock);
      await limiter.succeeded(heidi, home, clock.now());
      clock.advance(30 * DAY - 1);
      await fail(6, heidi, newIp(), clock);
      assert.deepEqual(await limiter.begin(heidi, home, clock.now()), { allowed: true });
      clock.advance(1);
      assert.deepEqual(await limiter.begin(heidi, home, clock.now()), { allowed: false, retryAfterSeconds: 1, reason: 'account' });
    });

    it('allows 100 failures from one IP in 15 minutes, then refuses until the oldest leaves the window', async () => {
      const clock = new ManualClock();
      const ip = newIp();
      for (let i = 0; i < 100; i += 1) assert.deepEqual(await limiter.begin(account(), ip, clock.now()), { allowed: true }, `attempt ${i + 1}`);
      assert.deepEqual(await limiter.begin(account(), ip, clock.now()), { allowed: false, retryAfterSeconds: 900, reason: 'ip' });
      clock.advance(15 * MINUTE - 1);
      assert.deepEqual(await limiter.begin(account(), ip, clock.now()), { allowed: false, retryAfterSeconds: 1, reason: 'ip' });
      clock.advance(1);
      for (let i = 0; i < 100; i += 1) assert.deepEqual(await limiter.begin(account(), ip, clock.now()), { allowed: true }, `attempt ${i + 1} after the window`);
      assert.equal((await limiter.begin(account(), ip, clock.now())).allowed, false);
    });

    it('slides the IP window: failures leave it 15 minutes after they happened', async () => {
      const clock = new ManualClock();
      const ip = newIp();
      for (let i = 0; i < 50; i += 1) assert.equal((await store.reserveIpAttempt(ip, clock.now(), DEFAULT_LOGIN_LIMITS)).allowed, true);
      clock.advance(10 * MINUTE);
      for (let i = 0; i < 50; i += 1) assert.equal((await store.reserveIpAttempt(ip, clock.now(), DEFAULT_LOGIN_LIMITS)).allowed, true);
      assert.deepEqual(await store.reserveIpAttempt(ip, clock.now(), DEFAULT_LOGIN_LIMITS), { allowed: false, retryAfterMs: 5 * MINUTE });
      clock.advance(5 * MINUTE);
      for (let i = 0; i < 50; i += 1) assert.equal((await store.reserveIpAttempt(ip, clock.now(), DEFAULT_LOGIN_LIMITS)).allowed, true);
      assert.deepEqual(await store.reserveIpAttempt(ip, clock.now(), DEFAULT_LOGIN_LIMITS), { allowed: false, retryAfterMs: 10 * MINUTE });
    });

    it("gives back the IP's reserved attempt on a success", async () => {
      const clock = new ManualClock();
      const ip = newIp();
      for (let i = 0; i < 99; i += 1) await limiter.begin(account(), ip, clock.now());
      const ivan = account();
      await fail(1, ivan, ip, clock);
      await limiter.succeeded(ivan, ip, clock.now());
      assert.deepEqual(await limiter.begin(account(), ip, clock.now()), { allowed: true });
      assert.equal((await limiter.begin(account(), ip, clock.now())).allowed, false);
    });

    it("does not spend the IP's budget on attempts refused for the account", async () => {
      const clock = new ManualClock();
      const ip = newIp();
      const judy = account();
      await fail(6, judy, ip, clock);
      for (let i = 0; i < 200; i += 1) assert.equal((await limiter.begin(judy, ip, clock.now())).allowed, false);
      for (let i = 0; i < 94; i += 1) assert.deepEqual(await limiter.begin(account(), ip, clock.now()), { allowed: true });
      assert.equal((await limiter.begin(account(), ip, clock.now())).allowed, false);
    });

    it('counts IPv6 clients by their /64 and IPv4-mapped clients as IPv4', async () => {
      const clock = new ManualClock();
      for (let i = 0; i < 100; i += 1) assert.equal((await limiter.begin(account(), `2001:db8:7:${i}::1`, clock.now())).allowed, true);
      for (let i = 0; i < 100; i += 1) await limiter.begin(account(), `2001:db8:9:1::${(i + 1).toString(16)}`, clock.now());
      assert.equal((await limiter.begin(account(), '2001:db8:9:1:ffff::1', clock.now())).allowed, false);
      const ip = newIp();
      for (let i = 0; i < 100; i += 1) await limiter.begin(account(), ip, clock.now());
      assert.deepEqual(await limiter.begin(account(), `::ffff:${ip}`, clock.now()), { allowed: false, retryAfterSeconds: 900, reason: 'ip' });
    });

    it('lets exactly 6 of 50 parallel guesses at one account reach the password check', async () => {
      const clock = new ManualClock();
      const mallory = account();
      const ip = newIp();
      const fromOneIp = await Promise.all(Array.from({ length: 50 }, () => limiter.begin(mallory, ip, clock.now())));
      assert.equal(fromOneIp.filter((d) => d.allowed).length, 6);
      const trent = account();
      const fromManyIps = await Promise.all(Array.from({ length: 50 }, () => limiter.begin(trent, newIp(), clock.now())));
      assert.equal(fromManyIps.filter((d) => d.allowed).length, 6);
      const direct = account();
      const reservations = await Promise.all(Array.from({ length: 50 }, () => store.reserveAccountAttempt(direct, clock.now(), DEFAULT_LOGIN_LIMITS)));
      assert.equal(reservations.filter((r) => r.allowed).length, 6);
    });

    it('reserves exactly 100 of 150 parallel attempts from one IP', async () => {
      const clock = new ManualClock();
      const ip = newIp();
      const decisions = await Promise.all(Array.from({ length: 150 }, () => limiter.begin(account(), ip, clock.now())));
      assert.equal(decisions.filter((d) => d.allowed).length, 100);
      assert.equal(decisions.filter((d) => !d.allowed && d.reason === 'ip').length, 50);
      const other = newIp();
      const reservations = await Promise.all(Array.from({ length: 150 }, () => store.reserveIpAttempt(other, clock.now(), DEFAULT_LOGIN_LIMITS)));
      assert.equal(reservations.filter((r) => r.allowed).length, 100);
    });

    it("forgets an account's failures a day after the wait following the last one", async () => {
      const clock = new ManualClock();
      const kim = account();
      await fail(6, kim, null, clock);
      clock.advance(SECOND + DAY - 1);
      await fail(1, kim, null, clock);
      assert.deepEqual(await limiter.begin(kim, null, clock.now()), { allowed: false, retryAfterSeconds: 2, reason: 'account' });
      clock.advance(2 * SECOND + DAY);
      await fail(6, kim, null, clock);
      assert.deepEqual(await limiter.begin(kim, null, clock.now()), { allowed: false, retryAfterSeconds: 1, reason: 'account' });
    });

    it('counts on through waits longer than the memory, and forgets once the memory after the last wait is over', async () => {
      const policy: LoginLimitPolicy = { ...DEFAULT_LOGIN_LIMITS, freeFailures: 0, maxBackoffMs: 10 * SECOND, accountMemoryMs: SECOND };
      const clock = new ManualClock();
      const key = account();
      const waits: number[] = [];
      for (let n = 1; n <= 6; n += 1) {
        assert.equal((await store.reserveAccountAttempt(key, clock.now(), policy)).allowed, true);
        const refusal = await store.reserveAccountAttempt(key, clock.now(), policy);
        assert.equal(refusal.allowed, false);
        if (refusal.allowed) return;
        waits.push(refusal.retryAfterMs);
        clock.advance(refusal.retryAfterMs + SECOND - 1);
      }
      assert.deepEqual(waits, [1000, 2000, 4000, 8000, 10_000, 10_000]);
      clock.advance(1);
      assert.equal((await store.reserveAccountAttempt(key, clock.now(), policy)).allowed, true);
      assert.deepEqual(await store.reserveAccountAttempt(key, clock.now(), policy), { allowed: false, retryAfterMs: 1000 });
    });

    it('accepts resets, releases and look-ups of keys it never saw', async () => {
      const clock = new ManualClock();
      await store.resetAccount(account());
      await store.releaseIpAttempt(newIp(), clock.now());
      assert.equal(await store.isKnownIp(account(), newIp(), clock.now()), false);
      await limiter.succeeded(account(), newIp(), clock.now());
      await limiter.succeeded(account(), null, clock.now());
    });
  });
}

import type { Cluster, Redis } from 'ioredis';
import { ALLOWED, pairKey } from './limiter.js';
import type { LimiterStore, Reservation } from './limiter.js';
import { backoffSchedule } from './policy.js';
import type { LoginLimitPolicy } from './policy.js';

/**
 * Added to every key's TTL. Blocks and windows are computed from the `now` the caller
 * passes and stored in the values; PEXPIRE (real time on the Redis server) only collects
 * garbage, so it must outlast the logical expiry even when instances' clocks disagree.
 */
export const CLOCK_SLACK_MS = 60_000;

// Lua 5.1 turns numbers into strings with %.14g; %.0f writes any integer below 2^53 exactly.
const INT = "local function int(x) return string.format('%.0f', x) end\n";

/**
 * One account's consecutive failures. KEYS[1] a hash {failures, blocked_until, forget_at};
 * ARGV now, slack, accountMemoryMs, freeFailures, then backoffSchedule(policy).
 * Returns 0 when the attempt is reserved, else the milliseconds left to wait.
 */
const RESERVE_ACCOUNT =
  INT +
  `
local now = tonumber(ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'failures', 'blocked_until', 'forget_at')
local failures, blocked = 0, 0
if state[3] and tonumber(state[3]) > now then
  failures = tonumber(state[1]) or 0
  blocked = tonumber(state[2]) or 0
end
if blocked > now then return blocked - now end
failures = failures + 1
local free = tonumber(ARGV[4])
local wait = 0
if failures > free then
  wait = tonumber(ARGV[4 + math.min(failures - free, #ARGV - 4)])
end
local forget = now + wait + tonumber(ARGV[3])
local blocked_until = 0
if wait > 0 then blocked_until = now + wait end
redis.call('HSET', KEYS[1], 'failures', int(failures), 'blocked_until', int(blocked_until), 'forget_at', int(forget))
redis.call('PEXPIRE', KEYS[1], int(forget - now + tonumber(ARGV[2])))
return 0
`;

/**
 * One IP's failures in a sliding window. KEYS[1] a list of reservation times, oldest first;
 * ARGV now, ipMaxFailures, ipWindowMs, slack. Returns 0 when reserved, else the
 * milliseconds until the window has room.
 */
const RESERVE_IP =
  INT +
  `
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local times = redis.call('LRANGE', KEYS[1], 0, -1)
local live = 1
while live <= #times and tonumber(times[live]) + window <= now do live = live + 1 end
if live > 1 then redis.call('LTRIM', KEYS[1], live - 1, -1) end
local count = #times - live + 1
if count >= max then
  return tonumber(times[live + count - max]) + window - now
end
redis.call('RPUSH', KEYS[1], int(now))
redis.call('PEXPIRE', KEYS[1], int(window + tonumber(ARGV[4])))
return 0
`;

type ScriptCommand = (key: string, ...args: string[]) => Promise<unknown>;

/**
 * The limiter shared by all instances. Read-modify-write operations are one Lua script
 * each (EVALSHA through ioredis defineCommand, which falls back to EVAL after a script
 * flush), so reading a counter, deciding and writing it back with its PEXPIRE happen
 * atomically; the other operations are single commands, atomic already. Each operation
 * touches one key, so the store also works on Redis Cluster.
 *
 * Errors are not caught: when Redis cannot answer the call rejects and the caller fails
 * closed. For that to be quick, create the client with e.g. `maxRetriesPerRequest: 1`
 * and `commandTimeout` — ioredis otherwise queues commands while it reconnects.
 */
export class RedisLimiterStore implements LimiterStore {
  private readonly reserveAccount: ScriptCommand;
  private readonly reserveIp: ScriptCommand;

  /** `keyPrefix` namespaces every key, e.g. "gatehouse:limits:". */
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keyPrefix: string,
  ) {
    this.reserveAccount = defineScript(redis, 'gatehouseLimitReserveAccount', RESERVE_ACCOUNT);
    this.reserveIp = defineScript(redis, 'gatehouseLimitReserveIp', RESERVE_IP);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async reserveAccountAttempt(key: string, now: number, policy: LoginLimitPolicy): Promise<Reservation> {
    const schedule = backoffSchedule(policy).map(String);
    const reply = await this.reserveAccount(
      this.accountKey(key),
      String(now),
      String(CLOCK_SLACK_MS),
      String(policy.accountMemoryMs),
      String(policy.freeFailures),
      ...schedule,
    );
    return reservation(reply);
  }

  async resetAccount(key: string): Promise<void> {
    await this.redis.del(this.accountKey(key));
  }

  async reserveIpAttempt(ip: string, now: number, policy: LoginLimitPolicy): Promise<Reservation> {
    const reply = await this.reserveIp(this.ipKey(ip), String(now), String(policy.ipMaxFailures), String(policy.ipWindowMs), String(CLOCK_SLACK_MS));
    return reservation(reply);
  }

  async releaseIpAttempt(ip: string, _now: number): Promise<void> {
    // The newest reservation is (nearly always) the one being given back.
    await this.redis.rpop(this.ipKey(ip));
  }

  async rememberIp(account: string, ip: string, now: number, policy: LoginLimitPolicy): Promise<void> {
    const expiresAt = now + policy.knownIpTtlMs;
    await this.redis.set(this.knownKey(account, ip), String(expiresAt), 'PX', policy.knownIpTtlMs + CLOCK_SLACK_MS);
  }

  async isKnownIp(account: string, ip: string, now: number): Promise<boolean> {
    const expiresAt = await this.redis.get(this.knownKey(account, ip));
    return expiresAt !== null && Number(expiresAt) > now;
  }

  /** The client belongs to whoever created it (it may serve other stores too); they quit it. */
  async close(): Promise<void> {}

  private accountKey(key: string): string {
    return `${this.keyPrefix}account:${key}`;
  }

  private ipKey(ip: string): string {
    return `${this.keyPrefix}ip:${ip}`;
  }

  private knownKey(account: string, ip: string): string {
    return `${this.keyPrefix}known:${pairKey(account, ip)}`;
  }
}

function defineScript(redis: Redis | Cluster, name: string, lua: string): ScriptCommand {
  redis.defineCommand(name, { numberOfKeys: 1, lua });
  // defineCommand adds a method the client's type cannot know about.
  const command: unknown = Reflect.get(redis, name);
  if (typeof command !== 'function') throw new Error(`ioredis did not define the ${name} command`);
  return async (key, ...args) => {
    const reply: unknown = await Reflect.apply(command, redis, [key, ...args]);
    return reply;
  };
}

function reservation(reply: unknown): Reservation {
  if (typeof reply !== 'number' || !Number.isSafeInteger(reply) || reply < 0) {
    throw new Error('limiter script gave an unexpected reply');
  }
  return reply === 0 ? ALLOWED : { allowed: false, retryAfterMs: reply };
}

import { isIP } from 'node:net';
import path from 'node:path';
import { usableCores } from '../bin/thread-pool.cjs';
import { ConfigError, excerpt, PolicyViolation } from './errors.js';
import { validateNewPassword } from './passwords/policy.js';

export const JWT_ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'HS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string };

export interface Argon2Params {
  /** KiB */
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
  /** The widest SIMD the native argon2 addon may use (it picks what the CPU has, up to this); AVX-512 lowers the clock of some CPUs. */
  readonly instructionSet?: Argon2InstructionSet;
}

export const ARGON2_INSTRUCTION_SETS = ['avx512f', 'avx2', 'sse2'] as const;
export type Argon2InstructionSet = (typeof ARGON2_INSTRUCTION_SETS)[number];

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly redisUrl: string | undefined;
  readonly issuer: string;
  /** `aud` of access tokens; undefined leaves the claim out (seed-compatible profile). */
  readonly audience: string | undefined;
  readonly jwtAlgorithm: JwtAlgorithm;
  readonly jwtSecret: Buffer | undefined;
  /** Seconds. */
  readonly accessTokenTtl: number;
  /** Seconds: absolute lifetime of a refresh-token family. */
  readonly refreshTokenTtl: number;
  readonly refreshTokens: boolean;
  readonly subject: 'id' | 'username';
  readonly admin: { readonly username: string; readonly password: string } | undefined;
  readonly registration: 'open' | 'closed';
  /** Role name → scopes that role may be granted. */
  readonly roleScopes: Readonly<Record<string, readonly string[]>>;
  readonly argon2: Argon2Params;
  /** Addresses (or `true` for any) whose X-Forwarded-For is believed. */
  readonly trustProxy: boolean | readonly string[];
  readonly corsOrigins: readonly string[];
  readonly keyEncryptionKey: Buffer | undefined;
  /** Seconds a client may take to send a whole request (headers and body): slow clients are cut off. */
  readonly requestTimeout: number;
  /** Seconds between looks at the store for rotated signing keys. */
  readonly keyRefreshInterval: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Brute-force protection of password logins. */
  /** Server processes sharing the port (`serve`); 1 is a single process, no cluster. */
  readonly workers: number;
  readonly loginLimits: {
    readonly freeFailures: number;
    /** Seconds. */
    readonly firstBackoff: number;
    /** Seconds. */
    readonly maxBackoff: number;
    readonly ipMaxFailures: number;
    /** Seconds. */
    readonly ipWindow: number;
  };
}

export const DEFAULT_ROLE_SCOPES: Readonly<Record<string, readonly string[]>> = {
  user: ['me'],
  admin: ['me', 'admin'],
};

/** OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1. */
export const DEFAULT_ARGON2: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

type Env = Readonly<Record<string, string | undefined>>;

/** Every variable Gatehouse reads; any other GATEHOUSE_* is a typo and stops the start. */
const KNOWN = new Set([
  'GATEHOUSE_HOST',
  'GATEHOUSE_PORT',
  'GATEHOUSE_DATA_DIR',
  'GATEHOUSE_DATABASE_URL',
  'GATEHOUSE_REDIS_URL',
  'GATEHOUSE_ISSUER',
  'GATEHOUSE_AUDIENCE',
  'GATEHOUSE_JWT_ALG',
  'GATEHOUSE_JWT_SECRET',
  'GATEHOUSE_ACCESS_TOKEN_TTL',
  'GATEHOUSE_REFRESH_TOKEN_TTL',
  'GATEHOUSE_REFRESH_TOKENS',
  'GATEHOUSE_SUBJECT',
  'GATEHOUSE_ADMIN_USERNAME',
  'GATEHOUSE_ADMIN_PASSWORD',
  'GATEHOUSE_REGISTRATION',
  'GATEHOUSE_ROLE_SCOPES',
  'GATEHOUSE_ARGON2_MEMORY',
  'GATEHOUSE_ARGON2_TIME',
  'GATEHOUSE_ARGON2_PARALLELISM',
  'GATEHOUSE_ARGON2_ISA',
  // Read at install by scripts/build-native.mjs, not at start; known so that it may stay set.
  'GATEHOUSE_REQUIRE_NATIVE',
  'GATEHOUSE_TRUST_PROXY',
  'GATEHOUSE_CORS_ORIGINS',
  'GATEHOUSE_KEY_ENCRYPTION_KEY',
  'GATEHOUSE_KEY_REFRESH_INTERVAL',
  'GATEHOUSE_LOG_LEVEL',
  'GATEHOUSE_REQUEST_TIMEOUT',
  'GATEHOUSE_LOGIN_FREE_FAILURES',
  'GATEHOUSE_LOGIN_FIRST_BACKOFF',
  'GATEHOUSE_LOGIN_MAX_BACKOFF',
  'GATEHOUSE_IP_MAX_FAILURES',
  'GATEHOUSE_IP_WINDOW',
  'GATEHOUSE_WORKERS',
]);

/** GATEHOUSE_WORKERS at most: each worker is a whole server (~90 MB, its own pool of hash threads). */
export const MAX_WORKERS = 64;

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3 scope-token

/** Reads and validates the whole configuration once; the first bad value throws a ConfigError naming it. */
export function loadConfig(env: Env, cwd = process.cwd()): Config {
  for (const name of Object.keys(env)) {
    if (name.startsWith('GATEHOUSE_') && !KNOWN.has(name)) {
      throw new ConfigError(`${name} is not a Gatehouse setting (check the spelling)`);
    }
  }
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const host = get('GATEHOUSE_HOST') ?? '127.0.0.1';
  if (!isHostname(host)) throw new ConfigError(`GATEHOUSE_HOST must be an IP address or a host name, got ${excerpt(host)}`);
  const port = integer('GATEHOUSE_PORT', get('GATEHOUSE_PORT') ?? '8000', 0, 65_535);
  const dataDir = path.resolve(cwd, get('GATEHOUSE_DATA_DIR') ?? 'data');
  const database = parseDatabaseUrl(get('GATEHOUSE_DATABASE_URL'), dataDir, cwd);
  const redisUrl = get('GATEHOUSE_REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('GATEHOUSE_REDIS_URL must start with redis:// or rediss://');
  }

  const issuerText = get('GATEHOUSE_ISSUER');
  // Every token and the metadata name the issuer, so it cannot be a port the OS picks later.
  if (port === 0 && issuerText === undefined) throw new ConfigError('GATEHOUSE_PORT=0 (any free port) needs GATEHOUSE_ISSUER, the URL clients reach the server at');
  const issuer = issuerText ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // RFC 8414 §2: no query or fragment, since the metadata and JWKS URLs are built on it.
  if (!isHttpUrl(issuer) || issuer.endsWith('/') || /[?#]/.test(issuer)) {
    throw new ConfigError('GATEHOUSE_ISSUER must be an http(s) URL without a trailing slash, query or fragment');
  }

  const jwtAlgorithm = oneOf('GATEHOUSE_JWT_ALG', get('GATEHOUSE_JWT_ALG') ?? 'ES256', JWT_ALGORITHMS);
  const secretText = env['GATEHOUSE_JWT_SECRET'];
  let jwtSecret: Buffer | undefined;
  if (jwtAlgorithm === 'HS256') {
    if (secretText === undefined || secretText === '') {
      throw new ConfigError('GATEHOUSE_JWT_SECRET is required when GATEHOUSE_JWT_ALG=HS256 (at least 32 bytes)');
    }
    jwtSecret = Buffer.from(secretText, 'utf8');
    if (jwtSecret.length < 32) {
      throw new ConfigError('GATEHOUSE_JWT_SECRET must be at least 32 bytes for HS256');
    }
  } else if (secretText !== undefined && secretText !== '') {
    throw new ConfigError(`GATEHOUSE_JWT_SECRET is only used with HS256; GATEHOUSE_JWT_ALG is ${jwtAlgorithm}`);
  }

  const accessTokenTtl = duration('GATEHOUSE_ACCESS_TOKEN_TTL', get('GATEHOUSE_ACCESS_TOKEN_TTL') ?? '15m');
  const refreshTokenTtl = duration('GATEHOUSE_REFRESH_TOKEN_TTL', get('GATEHOUSE_REFRESH_TOKEN_TTL') ?? '30d');
  const refreshTokens = bool('GATEHOUSE_REFRESH_TOKENS', get('GATEHOUSE_REFRESH_TOKENS') ?? 'on');
  const subject = oneOf('GATEHOUSE_SUBJECT', get('GATEHOUSE_SUBJECT') ?? 'id', ['id', 'username'] as const);

  // The seed-compatible profile leaves `aud` out: PyJWT rejects a token with `aud` when the app names none.
  const audienceText = get('GATEHOUSE_AUDIENCE');
  const audience = audienceText ?? (subject === 'username' ? undefined : issuer);

  const adminUsername = get('GATEHOUSE_ADMIN_USERNAME');
  const adminPassword = env['GATEHOUSE_ADMIN_PASSWORD'];
  if ((adminUsername === undefined) !== (adminPassword === undefined || adminPassword === '')) {
    throw new ConfigError('GATEHOUSE_ADMIN_USERNAME and GATEHOUSE_ADMIN_PASSWORD must be set together');
  }
  if (adminPassword !== undefined && adminPassword !== '') {
    // Checked here rather than when the account is made, after the store and keys exist.
    try {
      validateNewPassword(adminPassword);
    } catch (error) {
      if (error instanceof PolicyViolation) throw new ConfigError(`GATEHOUSE_ADMIN_PASSWORD: ${error.message}`);
      throw error;
    }
  }
  const admin =
    adminUsername !== undefined && adminPassword !== undefined ? { username: adminUsername, password: adminPassword } : undefined;

  const registration = oneOf('GATEHOUSE_REGISTRATION', get('GATEHOUSE_REGISTRATION') ?? 'closed', ['open', 'closed'] as const);
  const roleScopes = parseRoleScopes(get('GATEHOUSE_ROLE_SCOPES'));

  const argon2: Argon2Params = {
    memoryCost: integer('GATEHOUSE_ARGON2_MEMORY', get('GATEHOUSE_ARGON2_MEMORY') ?? String(DEFAULT_ARGON2.memoryCost), 19_456, 4_194_304),
    timeCost: integer('GATEHOUSE_ARGON2_TIME', get('GATEHOUSE_ARGON2_TIME') ?? String(DEFAULT_ARGON2.timeCost), 2, 100),
    parallelism: integer('GATEHOUSE_ARGON2_PARALLELISM', get('GATEHOUSE_ARGON2_PARALLELISM') ?? String(DEFAULT_ARGON2.parallelism), 1, 64),
    instructionSet: oneOf('GATEHOUSE_ARGON2_ISA', get('GATEHOUSE_ARGON2_ISA') ?? 'avx512f', ARGON2_INSTRUCTION_SETS),
  };

  const trustProxy = parseTrustProxy(get('GATEHOUSE_TRUST_PROXY'));
  const corsOrigins = (get('GATEHOUSE_CORS_ORIGINS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    if (!isHttpUrl(origin) || new URL(origin).origin !== origin) {
      throw new ConfigError(`GATEHOUSE_CORS_ORIGINS has ${excerpt(origin)}, which is not an origin like https://app.example.com`);
    }
  }

  const kekText = get('GATEHOUSE_KEY_ENCRYPTION_KEY');
  let keyEncryptionKey: Buffer | undefined;
  if (kekText !== undefined) {
    keyEncryptionKey = Buffer.from(kekText, 'base64');
    if (keyEncryptionKey.length !== 32) {
      throw new ConfigError('GATEHOUSE_KEY_ENCRYPTION_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)');
    }
  }
  // Both become timers, which Node holds to under 2^31 ms (24.8 days) and fires at once beyond.
  const requestTimeout = duration('GATEHOUSE_REQUEST_TIMEOUT', get('GATEHOUSE_REQUEST_TIMEOUT') ?? '30s', 3600);
  const keyRefreshInterval = duration('GATEHOUSE_KEY_REFRESH_INTERVAL', get('GATEHOUSE_KEY_REFRESH_INTERVAL') ?? '2s', 86_400);
  const logLevel = oneOf('GATEHOUSE_LOG_LEVEL', get('GATEHOUSE_LOG_LEVEL') ?? 'info', [
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ] as const);

  const workersText = get('GATEHOUSE_WORKERS') ?? '1';
  if (workersText !== 'auto' && !/^\d+$/.test(workersText)) throw new ConfigError(`GATEHOUSE_WORKERS must be a whole number or auto, got ${excerpt(workersText)}`);
  const workers = workersText === 'auto' ? Math.min(usableCores(), MAX_WORKERS) : integer('GATEHOUSE_WORKERS', workersText, 1, MAX_WORKERS);

  const loginLimits = {
    freeFailures: integer('GATEHOUSE_LOGIN_FREE_FAILURES', get('GATEHOUSE_LOGIN_FREE_FAILURES') ?? '5', 1, 1000),
    firstBackoff: duration('GATEHOUSE_LOGIN_FIRST_BACKOFF', get('GATEHOUSE_LOGIN_FIRST_BACKOFF') ?? '1s'),
    maxBackoff: duration('GATEHOUSE_LOGIN_MAX_BACKOFF', get('GATEHOUSE_LOGIN_MAX_BACKOFF') ?? '15m'),
    ipMaxFailures: integer('GATEHOUSE_IP_MAX_FAILURES', get('GATEHOUSE_IP_MAX_FAILURES') ?? '100', 1, 1_000_000),
    ipWindow: duration('GATEHOUSE_IP_WINDOW', get('GATEHOUSE_IP_WINDOW') ?? '15m'),
  };

  return Object.freeze({
    host,
    port,
    dataDir,
    database,
    redisUrl,
    issuer,
    audience,
    jwtAlgorithm,
    jwtSecret,
    accessTokenTtl,
    refreshTokenTtl,
    refreshTokens,
    subject,
    admin,
    registration,
    roleScopes,
    argon2,
    trustProxy,
    corsOrigins,
    keyEncryptionKey,
    requestTimeout,
    keyRefreshInterval,
    logLevel,
    workers,
    loginLimits,
  });
}

function parseDatabaseUrl(value: string | undefined, dataDir: string, cwd: string): DatabaseConfig {
  if (value === undefined) return { kind: 'sqlite', path: path.join(dataDir, 'gatehouse.db') };
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new ConfigError('GATEHOUSE_DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/gatehouse.db');
    return { kind: 'sqlite', path: file === ':memory:' ? file : path.resolve(cwd, file) };
  }
  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new ConfigError('GATEHOUSE_DATABASE_URL is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url: value };
  }
  throw new ConfigError('GATEHOUSE_DATABASE_URL must be sqlite:PATH or postgres://…');
}

function parseRoleScopes(value: string | undefined): Readonly<Record<string, readonly string[]>> {
  if (value === undefined) return DEFAULT_ROLE_SCOPES;
  // "user=me;admin=me admin;auditor=audit:read"
  const result: Record<string, readonly string[]> = {};
  for (const entry of value.split(';').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const role = eq > 0 ? entry.slice(0, eq).trim() : '';
    const scopes = eq > 0 ? entry.slice(eq + 1).trim().split(/\s+/).filter(Boolean) : [];
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(role) || scopes.some((s) => !SCOPE_TOKEN.test(s))) {
      throw new ConfigError(`GATEHOUSE_ROLE_SCOPES entry ${excerpt(entry)} must look like role=scope1 scope2`);
    }
    result[role] = scopes;
  }
  return Object.freeze(result);
}

function parseTrustProxy(value: string | undefined): boolean | readonly string[] {
  if (value === undefined || value === 'off' || value === 'false') return false;
  if (value === 'true' || value === 'on') return true;
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of list) {
    const [address = '', prefix, ...rest] = item.split('/');
    const version = isIP(address);
    const bits = version === 4 ? 32 : 128;
    if (version === 0 || rest.length > 0 || (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits))) {
      throw new ConfigError(`GATEHOUSE_TRUST_PROXY has ${excerpt(item)}, which is not an IP address or CIDR range`);
    }
  }
  return list;
}

function integer(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number, got ${excerpt(value)}`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "900", "45s", "15m", "12h", "30d" → seconds, from 1 s to `maxSeconds` (ten years unless given). */
export function duration(name: string, value: string, maxSeconds = 10 * 365 * 86_400): number {
  const match = /^(\d+)([smhd]?)$/.exec(value);
  if (!match) throw new ConfigError(`${name} must be a duration like 45s, 15m, 12h or 30d, got ${excerpt(value)}`);
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
  if (seconds < 1 || seconds > maxSeconds) throw new ConfigError(`${name} must be between 1s and ${formatSeconds(maxSeconds)}`);
  return seconds;
}

function formatSeconds(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

/** An IP address, or a DNS name (RFC 1123 labels); whether it resolves is for listen to find out. */
function isHostname(value: string): boolean {
  if (isIP(value) !== 0) return true;
  if (/^[\d.]+$/.test(value)) return false; // all digits and dots, yet not an IPv4 address
  return value.length <= 253 && value.split('.').every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

function bool(name: string, value: string): boolean {
  if (['on', 'true', '1', 'yes'].includes(value)) return true;
  if (['off', 'false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(`${name} must be on or off, got ${excerpt(value)}`);
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got ${excerpt(value)}`);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

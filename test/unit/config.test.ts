import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { usableCores } from '../../bin/thread-pool.cjs';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const SECRET = 'x'.repeat(32);

function refused(env: Record<string, string>, message: RegExp): void {
  assert.throws(() => loadConfig(env, '/srv'), (error: unknown) => error instanceof ConfigError && message.test(error.message));
}

describe('configuration', () => {
  it('has working defaults: 127.0.0.1:8000, SQLite under ./data, ES256, 15m / 30d', () => {
    const config = loadConfig({}, '/srv');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8000);
    assert.deepEqual(config.database, { kind: 'sqlite', path: path.join('/srv', 'data', 'gatehouse.db') });
    assert.equal(config.issuer, 'http://127.0.0.1:8000');
    assert.equal(config.audience, 'http://127.0.0.1:8000');
    assert.equal(config.jwtAlgorithm, 'ES256');
    assert.equal(config.jwtSecret, undefined);
    assert.equal(config.accessTokenTtl, 900);
    assert.equal(config.refreshTokenTtl, 30 * 86_400);
    assert.equal(config.subject, 'id');
    assert.equal(config.registration, 'closed');
    assert.deepEqual(config.roleScopes, { user: ['me'], admin: ['me', 'admin'] });
    assert.ok(config.argon2.memoryCost >= 19_456 && config.argon2.timeCost >= 2);
  });

  it('reads every documented variable', () => {
    const config = loadConfig(
      {
        GATEHOUSE_HOST: '0.0.0.0',
        GATEHOUSE_PORT: '9000',
        GATEHOUSE_DATABASE_URL: 'postgres://u@db:5432/auth',
        GATEHOUSE_REDIS_URL: 'redis://cache:6379',
        GATEHOUSE_ISSUER: 'https://auth.example.com',
        GATEHOUSE_AUDIENCE: 'https://api.example.com',
        GATEHOUSE_JWT_ALG: 'HS256',
        GATEHOUSE_JWT_SECRET: SECRET,
        GATEHOUSE_ACCESS_TOKEN_TTL: '5m',
        GATEHOUSE_REFRESH_TOKEN_TTL: '12h',
        GATEHOUSE_SUBJECT: 'username',
        GATEHOUSE_ADMIN_USERNAME: 'admin',
        GATEHOUSE_ADMIN_PASSWORD: 'admin password',
        GATEHOUSE_REGISTRATION: 'open',
        GATEHOUSE_ROLE_SCOPES: 'user=me;admin=me admin;auditor=audit:read',
        GATEHOUSE_ARGON2_ISA: 'avx2',
        GATEHOUSE_REQUIRE_NATIVE: '1',
      },
      '/srv',
    );
    assert.equal(config.port, 9000);
    assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://u@db:5432/auth' });
    assert.equal(config.audience, 'https://api.example.com');
    assert.equal(config.jwtSecret?.toString(), SECRET);
    assert.equal(config.accessTokenTtl, 300);
    assert.equal(config.refreshTokenTtl, 43_200);
    assert.deepEqual(config.admin, { username: 'admin', password: 'admin password' });
    assert.deepEqual(config.roleScopes['auditor'], ['audit:read']);
    assert.equal(config.argon2.instructionSet, 'avx2');
  });

  it('leaves aud out in the seed-compatible profile unless an audience is set', () => {
    const seed = loadConfig({ GATEHOUSE_JWT_ALG: 'HS256', GATEHOUSE_JWT_SECRET: SECRET, GATEHOUSE_SUBJECT: 'username' });
    assert.equal(seed.audience, undefined);
  });

  it('never has a default secret: HS256 without one, or with < 32 bytes, stops the start', () => {
    refused({ GATEHOUSE_JWT_ALG: 'HS256' }, /^GATEHOUSE_JWT_SECRET is required/);
    refused({ GATEHOUSE_JWT_ALG: 'HS256', GATEHOUSE_JWT_SECRET: 'short' }, /^GATEHOUSE_JWT_SECRET must be at least 32 bytes for HS256$/);
    refused({ GATEHOUSE_JWT_SECRET: SECRET }, /only used with HS256/);
  });

  it('names the variable and the problem for each bad value', () => {
    refused({ GATEHOUSE_PORT: 'eighty' }, /^GATEHOUSE_PORT must be a whole number/);
    refused({ GATEHOUSE_PORT: '70000' }, /^GATEHOUSE_PORT must be between/);
    refused({ GATEHOUSE_JWT_ALG: 'none' }, /^GATEHOUSE_JWT_ALG must be one of ES256, EdDSA, RS256, HS256/);
    refused({ GATEHOUSE_ACCESS_TOKEN_TTL: '15 minutes' }, /^GATEHOUSE_ACCESS_TOKEN_TTL must be a duration/);
    refused({ GATEHOUSE_SUBJECT: 'email' }, /^GATEHOUSE_SUBJECT must be one of id, username/);
    refused({ GATEHOUSE_DATABASE_URL: 'mysql://x' }, /^GATEHOUSE_DATABASE_URL must be sqlite:PATH or postgres/);
    refused({ GATEHOUSE_ISSUER: 'auth.example.com' }, /^GATEHOUSE_ISSUER must be an http\(s\) URL/);
    refused({ GATEHOUSE_ADMIN_USERNAME: 'admin' }, /must be set together/);
    refused({ GATEHOUSE_REGISTRATION: 'maybe' }, /^GATEHOUSE_REGISTRATION must be one of open, closed/);
    refused({ GATEHOUSE_ROLE_SCOPES: 'user' }, /^GATEHOUSE_ROLE_SCOPES entry "user"/);
    refused({ GATEHOUSE_ARGON2_MEMORY: '1024' }, /^GATEHOUSE_ARGON2_MEMORY must be between 19456/);
    refused({ GATEHOUSE_ARGON2_ISA: 'avx1024' }, /^GATEHOUSE_ARGON2_ISA must be one of avx512f, avx2, sse2/);
    refused({ GATEHOUSE_KEY_ENCRYPTION_KEY: 'abc' }, /^GATEHOUSE_KEY_ENCRYPTION_KEY must be 32 bytes/);
  });

  it('refuses values that would only fail later, naming the variable', () => {
    // Timers: Node fires one of over 2^31 ms at once, which made the key poller spin.
    refused({ GATEHOUSE_KEY_REFRESH_INTERVAL: '25d' }, /^GATEHOUSE_KEY_REFRESH_INTERVAL must be between 1s and 1d$/);
    refused({ GATEHOUSE_REQUEST_TIMEOUT: '3650d' }, /^GATEHOUSE_REQUEST_TIMEOUT must be between 1s and 1h$/);
    assert.equal(loadConfig({ GATEHOUSE_KEY_REFRESH_INTERVAL: '1d', GATEHOUSE_REQUEST_TIMEOUT: '1h' }, '/srv').keyRefreshInterval, 86_400);
    // RFC 8414 §2: the metadata and JWKS URLs are built on the issuer.
    refused({ GATEHOUSE_ISSUER: 'https://auth.example.com/tenant?x=1' }, /^GATEHOUSE_ISSUER must be .* without a trailing slash, query or fragment$/);
    refused({ GATEHOUSE_ISSUER: 'https://auth.example.com/tenant#frag' }, /query or fragment/);
    assert.equal(loadConfig({ GATEHOUSE_ISSUER: 'https://auth.example.com/tenant' }, '/srv').issuer, 'https://auth.example.com/tenant');
    refused({ GATEHOUSE_PORT: '0' }, /^GATEHOUSE_PORT=0 \(any free port\) needs GATEHOUSE_ISSUER/);
    assert.equal(loadConfig({ GATEHOUSE_PORT: '0', GATEHOUSE_ISSUER: 'https://auth.example.com' }, '/srv').port, 0);
    refused({ GATEHOUSE_HOST: '999.1.1.1' }, /^GATEHOUSE_HOST must be an IP address or a host name, got "999.1.1.1"$/);
    refused({ GATEHOUSE_HOST: 'bad host' }, /^GATEHOUSE_HOST must be/);
    for (const host of ['0.0.0.0', '::', '::1', 'localhost', 'auth.internal']) assert.equal(loadConfig({ GATEHOUSE_HOST: host }, '/srv').host, host);
    refused({ GATEHOUSE_TRUST_PROXY: '10.0.0.0/99' }, /^GATEHOUSE_TRUST_PROXY has "10.0.0.0\/99", which is not an IP address or CIDR range$/);
    refused({ GATEHOUSE_TRUST_PROXY: '10.0.0.300' }, /^GATEHOUSE_TRUST_PROXY has "10.0.0.300"/);
    refused({ GATEHOUSE_TRUST_PROXY: '::1/129' }, /^GATEHOUSE_TRUST_PROXY has "::1\/129"/);
    assert.deepEqual(loadConfig({ GATEHOUSE_TRUST_PROXY: '10.0.0.0/8, fd00::/8,127.0.0.1' }, '/srv').trustProxy, ['10.0.0.0/8', 'fd00::/8', '127.0.0.1']);
    // The admin account is made after the store and the keys: its password is checked first.
    refused({ GATEHOUSE_ADMIN_USERNAME: 'admin', GATEHOUSE_ADMIN_PASSWORD: 'short' }, /^GATEHOUSE_ADMIN_PASSWORD: Password must be at least 8 characters$/);
  });

  it('runs one server process unless GATEHOUSE_WORKERS asks for more (a number, or auto: one per core)', () => {
    assert.equal(loadConfig({}, '/srv').workers, 1);
    assert.equal(loadConfig({ GATEHOUSE_WORKERS: '4' }, '/srv').workers, 4);
    assert.equal(loadConfig({ GATEHOUSE_WORKERS: 'auto' }, '/srv').workers, Math.min(usableCores(), 64));
    refused({ GATEHOUSE_WORKERS: '0' }, /^GATEHOUSE_WORKERS must be between 1 and 64, got 0$/);
    refused({ GATEHOUSE_WORKERS: '65' }, /^GATEHOUSE_WORKERS must be between 1 and 64/);
    refused({ GATEHOUSE_WORKERS: 'many' }, /^GATEHOUSE_WORKERS must be a whole number or auto, got "many"$/);
  });

  it('refuses an unknown GATEHOUSE_ variable, which is usually a typo', () => {
    refused({ GATEHOUSE_JWT_ALGO: 'ES256' }, /^GATEHOUSE_JWT_ALGO is not a Gatehouse setting/);
  });
});

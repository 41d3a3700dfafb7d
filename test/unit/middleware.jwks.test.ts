import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { BearerError, Unavailable } from '../../src/errors.js';
import { createVerifier, type GuardOptions, type Principal } from '../../src/middleware/core.js';
import { freshnessOf } from '../../src/middleware/http.js';
import { ManualClock } from '../helpers/clock.js';
import { claimsFor, sign, StubIssuer, testKey, type TestKey } from '../helpers/stub-issuer.js';

/** Settles a verification, sync or async, into the principal or the error. */
async function outcome(run: () => Principal | Promise<Principal>): Promise<Principal | Error> {
  try {
    return await run();
  } catch (error) {
    return error as Error;
  }
}

const isInvalid = (value: unknown): boolean => value instanceof BearerError && value.code === 'invalid_token';

describe('TokenVerifier with the issuer’s JWKS', () => {
  let stub: StubIssuer;
  let key: TestKey;
  let clock: ManualClock;
  let warnings: string[];
  const now = () => Math.floor(clock.now() / 1000);
  const guard = (options: Partial<GuardOptions> = {}) =>
    createVerifier({ issuer: stub.url, clock, log: { warn: (_details, message) => warnings.push(message) }, ...options });

  beforeEach(async () => {
    stub = await new StubIssuer().start();
    key = testKey('ES256');
    stub.keys = [key.jwk];
    clock = new ManualClock(Date.now());
    warnings = [];
  });
  afterEach(() => stub.stop());

  it('finds the JWKS through the issuer metadata on first need, once for many concurrent requests', async () => {
    const v = guard();
    assert.equal(stub.seen.length, 0, 'nothing is fetched before a token comes');
    const tokens = Array.from({ length: 10 }, () => sign(key, claimsFor(stub.url, now())));
    const results = await Promise.all(tokens.map((t) => outcome(() => v.verify(t))));
    assert.ok(results.every((r) => !(r instanceof Error)));
    assert.equal(stub.count('/.well-known/oauth-authorization-server'), 1);
    assert.equal(stub.count('/jwks'), 1);
    const next = v.verify(sign(key, claimsFor(stub.url, now())));
    assert.ok(!(next instanceof Promise), 'with the key known, verification is synchronous');
  });

  it('keeps the JWKS for its max-age, then revalidates in the background with If-None-Match', async () => {
    stub.jwksHeaders = { 'cache-control': 'public, max-age=120', etag: '"v1"' };
    const v = guard();
    await v.verify(sign(key, claimsFor(stub.url, now())));
    clock.advance(119_000);
    assert.ok(!(v.verify(sign(key, claimsFor(stub.url, now()))) instanceof Promise));
    assert.equal(stub.count('/jwks'), 1, 'fresh for 120 s');
    clock.advance(1_000);
    const stale = v.verify(sign(key, claimsFor(stub.url, now())));
    assert.ok(!(stale instanceof Promise), 'a stale set still answers at once');
    await waitFor(() => stub.count('/jwks') === 2);
    assert.equal(stub.seen.at(-1)?.headers['if-none-match'], '"v1"');
    clock.advance(60_000);
    assert.ok(!(v.verify(sign(key, claimsFor(stub.url, now()))) instanceof Promise), '304 kept the keys and renewed them');
    assert.equal(stub.count('/jwks'), 2);
  });

  it('refetches a no-cache JWKS no more often than every 5 s', async () => {
    stub.jwksHeaders = { 'cache-control': 'no-cache' };
    const v = guard();
    await v.verify(sign(key, claimsFor(stub.url, now())));
    for (let i = 0; i < 20; i++) v.verify(sign(key, claimsFor(stub.url, now())));
    clock.advance(4_000);
    for (let i = 0; i < 20; i++) v.verify(sign(key, claimsFor(stub.url, now())));
    await pause();
    assert.equal(stub.count('/jwks'), 1);
    clock.advance(1_000);
    v.verify(sign(key, claimsFor(stub.url, now())));
    await waitFor(() => stub.count('/jwks') === 2);
  });

  it('refetches for an unknown kid at most once per cooldown', async () => {
    const v = guard({ jwksCooldown: 10 });
    await v.verify(sign(key, claimsFor(stub.url, now())));
    const forger = testKey('ES256');
    const forged = await Promise.all(Array.from({ length: 50 }, () => outcome(() => v.verify(sign({ ...forger, kid: randomUUID() }, claimsFor(stub.url, now()))))));
    assert.ok(forged.every(isInvalid));
    assert.equal(stub.count('/jwks'), 2);
    const rotated = testKey('ES256');
    stub.keys = [key.jwk, rotated.jwk];
    const fresh = sign(rotated, claimsFor(stub.url, now()));
    assert.ok(isInvalid(await outcome(() => v.verify(fresh))), 'within the cooldown');
    clock.advance(10_000);
    assert.equal((await outcome(() => v.verify(fresh)) as Principal).sub, 'user-1');
    assert.equal(stub.count('/jwks'), 3);
  });

  it('stops trusting tokens of a key the issuer withdrew, cached ones included', async () => {
    const v = guard({ jwksCooldown: 0 });
    const token = sign(key, claimsFor(stub.url, now()));
    await v.verify(token);
    assert.ok(!(v.verify(token) instanceof Promise), 'verified twice: in the cache');
    const replacement = testKey('ES256');
    stub.keys = [replacement.jwk];
    await v.verify(sign(replacement, claimsFor(stub.url, now()))); // unknown kid: refetch, `key` is gone
    assert.ok(isInvalid(await outcome(() => v.verify(token))));
  });

  it('uses the keys it can and skips the ones it must not', async () => {
    const ed = testKey('EdDSA');
    const rsa = testKey('RS256');
    const { publicKey: p384 } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const { publicKey: small } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const priv = testKey('ES256');
    const lying = testKey('ES256', 'lying-alg');
    stub.keys = [
      { ...p384.export({ format: 'jwk' }), kid: 'p384' },
      { ...small.export({ format: 'jwk' }), kid: 'small-rsa' },
      { ...priv.privateKey.export({ format: 'jwk' }), kid: priv.kid },
      { kty: 'oct', k: 'c2VjcmV0', kid: 'shared' },
      { ...testKey('ES256').jwk, use: 'enc', kid: 'encryption' },
      { ...testKey('ES256').jwk, kid: undefined },
      { ...lying.jwk, alg: 'ES384' },
      'not a key',
      ed.jwk,
      rsa.jwk,
    ];
    const v = guard();
    for (const usable of [ed, rsa]) {
      assert.equal(((await outcome(() => v.verify(sign(usable, claimsFor(stub.url, now()))))) as Principal).sub, 'user-1', usable.alg);
    }
    assert.ok(isInvalid(await outcome(() => v.verify(sign(priv, claimsFor(stub.url, now()))))), 'a JWK with private material is ignored');
    assert.ok(isInvalid(await outcome(() => v.verify(sign(lying, claimsFor(stub.url, now()))))), 'a JWK whose alg does not fit its key is ignored');
    const onlyEs = guard({ algorithms: ['ES256'] });
    assert.ok(isInvalid(await outcome(() => onlyEs.verify(sign(ed, claimsFor(stub.url, now()))))));
  });

  it('refuses metadata that names another issuer (RFC 8414 §3.3), answering 503', async () => {
    stub.metadataIssuer = 'https://impostor.example.com';
    const v = guard();
    const result = await outcome(() => v.verify(sign(key, claimsFor(stub.url, now()))));
    assert.ok(result instanceof Unavailable);
    assert.equal(stub.count('/jwks'), 0);
    assert.match(warnings.join('\n'), /could not fetch the issuer JWKS/);
  });

  it('gives up on a JWKS that does not answer within httpTimeout, answering 503', async () => {
    stub.jwksAnswer = () => ({ delay: 2_000, body: { keys: [key.jwk] } });
    const v = guard({ jwksUri: `${stub.url}/jwks`, httpTimeout: 0.2 });
    const started = Date.now();
    assert.ok((await outcome(() => v.verify(sign(key, claimsFor(stub.url, now()))))) instanceof Unavailable);
    assert.ok(Date.now() - started < 1_900, 'it did not wait for the 2 s answer');
  });

  it('keeps the keys it has when the issuer answers errors, and retries later', async () => {
    const v = guard();
    await v.verify(sign(key, claimsFor(stub.url, now())));
    stub.jwksAnswer = () => ({ status: 500, body: { detail: 'boom' } });
    clock.advance(61_000);
    assert.ok(!(v.verify(sign(key, claimsFor(stub.url, now()))) instanceof Promise));
    await waitFor(() => warnings.length === 1);
    assert.match(warnings[0] ?? '', /keeping the keys already known/);
    assert.equal((v.verify(sign(key, claimsFor(stub.url, now()))) as Principal).sub, 'user-1');
  });

  it('answers 503 while no key set could ever be fetched, then recovers', async () => {
    stub.jwksAnswer = () => ({ status: 503, body: {} });
    const v = guard();
    const token = sign(key, claimsFor(stub.url, now()));
    assert.ok((await outcome(() => v.verify(token))) instanceof Unavailable);
    assert.ok((await outcome(() => v.verify(token))) instanceof Unavailable, 'no new attempt within a second');
    assert.equal(stub.count('/jwks'), 1);
    stub.jwksAnswer = undefined;
    clock.advance(1_000);
    assert.equal(((await outcome(() => v.verify(token))) as Principal).sub, 'user-1');
  });
});

describe('freshnessOf', () => {
  const at = (headers: Record<string, string>) => freshnessOf(new Headers(headers), 300);
  it('reads max-age less Age, no-store/no-cache as stale, Expires against Date, and falls back otherwise', () => {
    assert.equal(at({ 'cache-control': 'public, max-age=60' }), 60);
    assert.equal(at({ 'cache-control': 'max-age=60', age: '50' }), 10);
    assert.equal(at({ 'cache-control': 'no-store, max-age=60' }), 0);
    assert.equal(at({ 'cache-control': 'no-cache' }), 0);
    assert.equal(at({ expires: 'Thu, 01 Jan 2026 00:10:00 GMT', date: 'Thu, 01 Jan 2026 00:00:00 GMT' }), 600);
    assert.equal(at({ expires: '0' }), 0);
    assert.equal(at({}), 300);
  });
});

function pause(ms = 30): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not met within 10 s');
    await pause(10);
  }
}

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { BearerError, Unavailable } from '../../src/errors.js';
import { createVerifier, type GuardOptions, type Principal } from '../../src/middleware/core.js';
import { ManualClock } from '../helpers/clock.js';
import { StubIssuer, type SeenRequest } from '../helpers/stub-issuer.js';

async function outcome(run: () => Principal | Promise<Principal>): Promise<Principal | Error> {
  try {
    return await run();
  } catch (error) {
    return error as Error;
  }
}

describe('TokenVerifier in introspection mode (RFC 7662)', () => {
  let stub: StubIssuer;
  let clock: ManualClock;
  const now = () => Math.floor(clock.now() / 1000);
  /** The stub's idea of live tokens: token → its introspection answer. */
  let live: Map<string, Record<string, unknown>>;
  const guard = (options: Partial<GuardOptions> = {}) =>
    createVerifier({
      issuer: stub.url,
      clock,
      introspection: { clientId: 'orders api', clientSecret: 's3cret:&=+', endpoint: `${stub.url}/introspect` },
      ...options,
    });
  const active = (extra: Record<string, unknown> = {}) => ({
    active: true,
    iss: stub.url,
    sub: 'user-1',
    aud: stub.url,
    exp: now() + 900,
    iat: now(),
    jti: 'jti-1',
    scope: 'me items:read',
    client_id: 'gatehouse',
    username: 'alice',
    token_type: 'Bearer',
    ...extra,
  });

  beforeEach(async () => {
    stub = await new StubIssuer().start();
    clock = new ManualClock(Date.now());
    live = new Map();
    stub.introspect = (request: SeenRequest) => ({ body: live.get(new URLSearchParams(request.body).get('token') ?? '') ?? { active: false } });
  });
  afterEach(() => stub.stop());

  it('asks the issuer with client_secret_basic credentials and builds the principal from the answer', async () => {
    live.set('opaque-token-1', active());
    const principal = (await guard().authenticate('Bearer opaque-token-1', ['items:read'])) as Principal;
    assert.equal(principal.sub, 'user-1');
    assert.equal(principal.username, 'alice');
    assert.deepEqual(principal.scopes, ['me', 'items:read']);
    assert.equal(principal.clientId, 'gatehouse');
    const [call] = stub.seen;
    assert.equal(call?.method, 'POST');
    assert.equal(call?.headers['content-type'], 'application/x-www-form-urlencoded');
    // RFC 6749 §2.3.1: form-urlencoded, then base64.
    assert.equal(call?.headers.authorization, `Basic ${Buffer.from('orders+api:s3cret%3A%26%3D%2B').toString('base64')}`);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(call?.body)), { token: 'opaque-token-1', token_type_hint: 'access_token' });
  });

  it('answers from a short cache, both ways, and asks again once it has expired', async () => {
    live.set('good', active());
    const v = guard({ introspection: { clientId: 'api', clientSecret: 'x', endpoint: `${stub.url}/introspect`, cacheTtl: 5 } });
    await v.verify('good');
    assert.ok(!(v.verify('good') instanceof Promise), 'a cached answer is synchronous');
    assert.ok((await outcome(() => v.verify('unknown'))) instanceof BearerError);
    assert.throws(() => v.verify('unknown'), BearerError, 'an inactive answer is cached too');
    assert.equal(stub.count('/introspect'), 2);
    live.delete('good'); // revoked at the issuer
    clock.advance(5_000);
    assert.ok((await outcome(() => v.verify('good'))) instanceof BearerError, 'the revocation is seen once the cache entry expires');
    assert.equal(stub.count('/introspect'), 3);
  });

  it('shares one call among concurrent requests with the same token', async () => {
    live.set('busy', active());
    stub.introspect = () => ({ delay: 50, body: active() });
    const v = guard();
    const results = await Promise.all(Array.from({ length: 10 }, () => outcome(() => v.verify('busy'))));
    assert.ok(results.every((r) => !(r instanceof Error)));
    assert.equal(stub.count('/introspect'), 1);
  });

  it('holds an active answer to the issuer, audience and expiry rules', async () => {
    live.set('other-iss', active({ iss: 'https://impostor.example.com' }));
    live.set('other-aud', active({ aud: 'https://other-api.example.com' }));
    live.set('expired', active({ exp: now() - 31 }));
    live.set('no-sub', active({ sub: undefined }));
    const v = guard({ audience: stub.url });
    for (const token of live.keys()) {
      const result = await outcome(() => v.verify(token));
      assert.ok(result instanceof BearerError && result.code === 'invalid_token', token);
    }
  });

  it('finds the endpoint in the issuer metadata when none is given', async () => {
    live.set('t', active());
    const v = createVerifier({ issuer: stub.url, clock, introspection: { clientId: 'api', clientSecret: 'x' } });
    assert.equal(((await v.verify('t')) as Principal).sub, 'user-1');
    assert.equal(stub.count('/.well-known/oauth-authorization-server'), 1);
  });

  it('answers 503 when the issuer cannot answer, and caches nothing', async () => {
    stub.introspect = () => ({ status: 500, body: { error: 'server_error' } });
    const v = guard();
    assert.ok((await outcome(() => v.verify('t'))) instanceof Unavailable);
    live.set('t', active());
    stub.introspect = () => ({ body: live.get('t') });
    assert.equal(((await v.verify('t')) as Principal).sub, 'user-1');
  });
});

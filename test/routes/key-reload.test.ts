import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/log.js';
import { Keyring } from '../../src/services/keys.js';
import { AccessTokenCodec } from '../../src/tokens/access-token.js';
import { createTestApp, postForm, type TestApp } from '../helpers/app.js';
import { claimsOf, kidOf } from '../helpers/issuer.js';

describe('a kid this instance has not loaded', () => {
  let app: TestApp;
  let looks = 0;
  before(async () => {
    app = await createTestApp();
    await app.services.users.create({ username: 'alice', password: 'correct horse' });
    // Count the server's looks at the store for keys.
    const keyStore = app.store.signingKeys;
    const list = keyStore.list.bind(keyStore);
    keyStore.list = () => {
      looks += 1;
      return list();
    };
  });
  after(() => app.close());

  const me = (token: string) => app.server.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } });

  /** Tokens for alice as another instance that has just made a new key current would sign them. */
  async function fromAnotherInstance(count: number): Promise<string[]> {
    const login = await postForm(app, '/token', { username: 'alice', password: 'correct horse' });
    const claims = claimsOf((login.json() as { access_token: string }).access_token);
    const other = await Keyring.open(app.config, app.store, app.clock, createLogger('silent'));
    await other.rotate();
    // Past the publication time, which this server spent without looking at the store.
    app.clock.advance(other.activationDelayMs);
    const config = app.config;
    const codec = new AccessTokenCodec({ issuer: config.issuer, audience: config.audience, algorithm: config.jwtAlgorithm, ttl: config.accessTokenTtl }, other);
    const now = Math.floor(app.clock.now() / 1000);
    return Array.from({ length: count }, () =>
      codec.issue({ subject: claims['sub'] as string, username: 'alice', scope: claims['scope'] as string, clientId: claims['client_id'] as string, now }).token,
    );
  }

  it('is looked for in the store at once: such tokens verify, and revoke, before the next scheduled look', async () => {
    const [revoked, kept] = (await fromAnotherInstance(2)) as [string, string];
    assert.equal(app.keys.verifierFor(kidOf(revoked)), undefined, 'the server has not loaded the new key');
    const before = looks;
    // The first this server sees of the new key is a revocation: it must not be taken for an invalid token and ignored.
    assert.equal((await postForm(app, '/revoke', { token: revoked })).statusCode, 200);
    assert.equal(looks, before + 1);
    assert.equal((await me(revoked)).statusCode, 401);
    assert.equal((await me(kept)).statusCode, 200);
    assert.equal(looks, before + 1, 'the key is loaded now: no further look');
  });

  it('costs at most one look a second, however many tokens name kids nobody has', async () => {
    app.clock.advance(1000);
    const [token] = (await fromAnotherInstance(1)) as [string];
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const fields = JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>;
    const madeUp = (i: number) => `${Buffer.from(JSON.stringify({ ...fields, kid: `made-up-${i}` })).toString('base64url')}.${payload}.${signature}`;

    const before = looks;
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => me(madeUp(i))));
    assert.deepEqual(new Set(answers.map((res) => res.statusCode)), new Set([401]));
    assert.equal(looks, before + 1, 'thirty at once: one look');
    assert.equal((await me(madeUp(30))).statusCode, 401);
    assert.equal(looks, before + 1, 'within the second: none');
    app.clock.advance(1000);
    assert.equal((await me(madeUp(31))).statusCode, 401);
    assert.equal(looks, before + 2, 'a second later: one more');
  });
});

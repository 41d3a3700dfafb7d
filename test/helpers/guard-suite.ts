import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Fetch } from '../../src/middleware/core.js';
import { encodeSegment, signCompact } from '../../src/tokens/jwt.js';
import { ManualClock } from './clock.js';
import { mounts, type Framework, type GuardedApp } from './guarded-apps.js';
import { claimsOf, kidOf, startIssuer, type Issuer } from './issuer.js';

/** What a client sees of an answer: status, the headers RFC 6750 cares about, and the body. */
export async function answerOf(res: Response): Promise<object> {
  return {
    status: res.status,
    'www-authenticate': res.headers.get('www-authenticate'),
    'cache-control': res.headers.get('cache-control'),
    'content-type': res.headers.get('content-type'),
    body: await res.text(),
  };
}

function get(url: string, token?: string, authorization = token === undefined ? undefined : `Bearer ${token}`): Promise<Response> {
  return fetch(url, { headers: authorization === undefined ? {} : { authorization } });
}

/** A well-formed access token for `claims`, signed by a key the issuer never had, under `kid`. */
export function forgedToken(claims: Record<string, unknown>, kid = randomBytes(16).toString('base64url')): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return signCompact(encodeSegment({ alg: 'ES256', typ: 'at+jwt', kid }), claims, { kid, alg: 'ES256', key: privateKey });
}

/** Counts the requests a guard makes for the JWKS. */
function countingFetch(): { fetch: Fetch; jwks: () => number } {
  let jwks = 0;
  return {
    fetch: (input, init) => {
      if (input.endsWith('/jwks.json')) jwks += 1;
      return fetch(input, init);
    },
    jwks: () => jwks,
  };
}

/** The behaviour every framework guard must show, against a real Gatehouse server process. */
export function guardSuite(framework: Framework): void {
  const mount = mounts[framework];

  describe(`${framework === 'node' ? 'gatehouse (node:http)' : `gatehouse/${framework}`} against a running Gatehouse`, () => {
    let issuer: Issuer;
    let app: GuardedApp;
    let alice: string;
    let wendy: string;
    const apps: GuardedApp[] = [];
    async function mounted(options: Parameters<typeof mount>[0]): Promise<GuardedApp> {
      const extra = await mount(options);
      apps.push(extra);
      return extra;
    }

    before(async () => {
      issuer = await startIssuer();
      [alice, wendy] = await Promise.all([issuer.token('alice'), issuer.token('wendy')]);
      app = await mounted({ issuer: issuer.url });
    });
    after(async () => {
      await Promise.all(apps.map((a) => a.close()));
      await issuer?.close();
    });

    it('admits a valid token and hands the handler a typed principal', async () => {
      const res = await get(`${app.url}/me`, alice);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { sub: string; username: string; scopes: string[]; clientId: string; jti: string };
      const claims = claimsOf(alice);
      assert.equal(body.sub, claims['sub']);
      assert.equal(body.username, 'alice');
      assert.deepEqual([...body.scopes].sort(), ['items:read', 'me']);
      assert.equal(body.clientId, 'gatehouse');
      assert.equal(body.jti, claims['jti']);
      assert.equal((await get(`${app.url}/items`, alice)).status, 200);
      assert.equal((await get(`${app.url}/hello`)).status, 200);
      const created = await fetch(`${app.url}/items`, { method: 'POST', headers: { authorization: `Bearer ${wendy}` } });
      assert.equal(created.status, 201);
    });

    it('answers 401 Not authenticated with a bare challenge when no bearer token is sent, as Gatehouse does', async () => {
      for (const authorization of [undefined, 'Basic Og==', 'Bearer ', 'Bearer']) {
        const ours = await answerOf(await get(`${app.url}/profile`, undefined, authorization));
        const gatehouse = await answerOf(await get(`${issuer.url}/users/me`, undefined, authorization));
        assert.deepEqual(ours, gatehouse, `Authorization: ${String(authorization)}`);
        assert.deepEqual(ours, {
          status: 401,
          'www-authenticate': 'Bearer',
          'cache-control': 'no-store',
          'content-type': 'application/json; charset=utf-8',
          body: '{"detail":"Not authenticated"}',
        });
      }
      // RFC 6750 §2.1: a token in the query string is not looked at.
      assert.equal((await get(`${app.url}/me?access_token=${alice}`)).status, 401);
    });

    it('answers 401 invalid_token for a bad token, as Gatehouse does', async () => {
      const [h, p, s] = alice.split('.') as [string, string, string];
      const claims = claimsOf(alice);
      const jwks = (await (await fetch(`${issuer.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      const confusion = `${encodeSegment({ alg: 'HS256', typ: 'at+jwt', kid: kidOf(alice) })}.${p}`;
      const bad = {
        garbage: 'garbage',
        tampered: `${h}.${encodeSegment({ ...claims, sub: 'someone-else' })}.${s}`,
        'alg none': `${encodeSegment({ alg: 'none', typ: 'at+jwt' })}.${p}.`,
        'cut signature': `${h}.${p}.${s.slice(0, -4)}AAAA`,
        'HS256 signed with the public key': `${confusion}.${createHmac('sha256', JSON.stringify(jwks.keys[0])).update(confusion).digest('base64url')}`,
        'other key under the real kid': forgedToken(claims, kidOf(alice)),
        'typ JWT': `${encodeSegment({ alg: 'ES256', typ: 'JWT', kid: kidOf(alice) })}.${p}.${s}`,
      };
      for (const [what, token] of Object.entries(bad)) {
        const ours = await answerOf(await get(`${app.url}/profile`, token));
        const gatehouse = await answerOf(await get(`${issuer.url}/users/me`, token));
        assert.deepEqual(ours, gatehouse, what);
        assert.deepEqual(ours, {
          status: 401,
          'www-authenticate': 'Bearer error="invalid_token"',
          'cache-control': 'no-store',
          'content-type': 'application/json; charset=utf-8',
          body: '{"detail":"Could not validate credentials"}',
        });
      }
    });

    it('answers 403 insufficient_scope naming the missing scope, as Gatehouse does', async () => {
      const withoutMe = await issuer.token('alice', 'items:read');
      const ours = await answerOf(await get(`${app.url}/profile`, withoutMe));
      const gatehouse = await answerOf(await get(`${issuer.url}/users/me`, withoutMe));
      assert.deepEqual(ours, gatehouse);
      assert.deepEqual(ours, {
        status: 403,
        'www-authenticate': 'Bearer error="insufficient_scope", scope="me"',
        'cache-control': 'no-store',
        'content-type': 'application/json; charset=utf-8',
        body: '{"detail":"Not enough permissions"}',
      });
      const write = await fetch(`${app.url}/items`, { method: 'POST', headers: { authorization: `Bearer ${alice}` } });
      assert.equal(write.status, 403);
      assert.equal(write.headers.get('www-authenticate'), 'Bearer error="insufficient_scope", scope="items:write"');
    });

    it('refuses an expired token once the leeway has passed, even after it was cached', async () => {
      const clock = new ManualClock(Date.now());
      const guarded = await mounted({ issuer: issuer.url, clock });
      assert.equal((await get(`${guarded.url}/me`, alice)).status, 200);
      const exp = claimsOf(alice)['exp'] as number;
      clock.advance((exp + 29) * 1000 - clock.now());
      assert.equal((await get(`${guarded.url}/me`, alice)).status, 200, 'within the default 30 s leeway');
      clock.advance(1000);
      const res = await get(`${guarded.url}/me`, alice);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer error="invalid_token"');

      // From wendy's own exp: her token may have been issued a second before or after alice's.
      const wendyExp = claimsOf(wendy)['exp'] as number;
      const strictClock = new ManualClock((wendyExp - 1) * 1000);
      const strict = await mounted({ issuer: issuer.url, clock: strictClock, leeway: 0 });
      assert.equal((await get(`${strict.url}/me`, wendy)).status, 200);
      strictClock.advance(wendyExp * 1000 - strictClock.now());
      assert.equal((await get(`${strict.url}/me`, wendy)).status, 401, 'leeway 0: expired at exp');
    });

    it('refuses a token from another issuer', async () => {
      const jwksUri = `${issuer.url}/.well-known/jwks.json`;
      const other = await mounted({ issuer: 'http://127.0.0.1:9/another-issuer', jwksUri });
      const res = await get(`${other.url}/me`, alice);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
      const same = await mounted({ issuer: issuer.url, jwksUri });
      assert.equal((await get(`${same.url}/me`, alice)).status, 200, 'the same keys with the right issuer');
    });

    it('checks the audience when one is configured', async () => {
      const elsewhere = await mounted({ issuer: issuer.url, audience: 'https://api.example.com' });
      const res = await get(`${elsewhere.url}/me`, alice);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
      // Gatehouse's default audience is its issuer.
      const ours = await mounted({ issuer: issuer.url, audience: ['https://api.example.com', issuer.url] });
      assert.equal((await get(`${ours.url}/me`, alice)).status, 200);
    });

    describe('key rotation', () => {
      let rotating: Issuer;
      before(async () => {
        rotating = await startIssuer();
      });
      after(() => rotating?.close());

      it('picks up a rotated key without a restart', async () => {
        const counter = countingFetch();
        const guarded = await mounted({ issuer: rotating.url, fetch: counter.fetch });
        const old = await rotating.token('alice');
        assert.equal((await get(`${guarded.url}/me`, old)).status, 200);
        const kid = await rotating.rotate();
        const fresh = await rotating.token('alice');
        assert.equal(kidOf(fresh), kid);
        assert.notEqual(kidOf(old), kid);
        assert.equal((await get(`${guarded.url}/me`, fresh)).status, 200, 'the unknown kid made the guard refetch the JWKS');
        assert.equal((await get(`${guarded.url}/me`, old)).status, 200, 'the retired key still verifies its tokens');
        assert.equal(counter.jwks(), 2);
      });

      it('refetches for unknown kids at most once per 30 s, so forged kids cause no storm', async () => {
        const clock = new ManualClock(Date.now());
        const counter = countingFetch();
        const guarded = await mounted({ issuer: rotating.url, clock, fetch: counter.fetch });
        const old = await rotating.token('alice');
        assert.equal((await get(`${guarded.url}/me`, old)).status, 200);
        assert.equal(counter.jwks(), 1);
        const answers = await Promise.all(Array.from({ length: 25 }, () => get(`${guarded.url}/me`, forgedToken(claimsOf(old)))));
        assert.deepEqual(new Set(answers.map((r) => r.status)), new Set([401]));
        assert.equal(counter.jwks(), 2, 'one refetch for 25 forged kids');

        const kid = await rotating.rotate();
        const fresh = await rotating.token('alice');
        assert.equal(kidOf(fresh), kid);
        assert.equal((await get(`${guarded.url}/me`, fresh)).status, 401, 'still within the cooldown of the forged kids');
        assert.equal(counter.jwks(), 2);
        clock.advance(30_000);
        assert.equal((await get(`${guarded.url}/me`, fresh)).status, 200, 'the next unknown kid after the cooldown refetches');
        assert.equal(counter.jwks(), 3);
      });
    });

    it('keeps verifying with cached keys while the issuer is down', async () => {
      const down = await startIssuer();
      try {
        const clock = new ManualClock(Date.now());
        const guarded = await mounted({ issuer: down.url, clock, httpTimeout: 1 });
        const [first, second, third] = await Promise.all([down.token('alice'), down.token('alice'), down.token('wendy')]);
        assert.equal((await get(`${guarded.url}/me`, first)).status, 200);
        await down.stop();
        assert.equal((await get(`${guarded.url}/me`, second)).status, 200, 'a token not seen before, verified with the cached key');
        clock.advance(61_000); // past the JWKS max-age: the refetch fails, the keys stay
        assert.equal((await get(`${guarded.url}/me`, third)).status, 200);
        await new Promise((r) => setTimeout(r, 50));
        assert.equal((await get(`${guarded.url}/me`, third)).status, 200);
        const forged = await get(`${guarded.url}/me`, forgedToken(claimsOf(first)));
        assert.equal(forged.status, 401, 'an unknown kid is still refused, not waved through');

        const cold = await mounted({ issuer: down.url, httpTimeout: 1 });
        const res = await get(`${cold.url}/me`, first);
        assert.equal(res.status, 503, 'no key was ever fetched: the guard cannot decide');
        assert.equal(res.headers.get('retry-after'), '1');
        assert.deepEqual(await res.json(), {
          error: 'temporarily_unavailable',
          error_description: 'The authorization server cannot be reached; try again shortly',
          detail: 'The authorization server cannot be reached; try again shortly',
        });
      } finally {
        await down.close();
      }
    });
  });
}

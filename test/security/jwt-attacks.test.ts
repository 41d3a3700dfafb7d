import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { login, removeDir, runCli, startServer, tempDir, type RunningServer } from '../helpers/server.js';

const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** Signs raw header and payload JSON text (so tests can write duplicate keys) with an ES256 key. */
function es256(headerJson: string, payloadJson: string, key: KeyObject, encoding: 'ieee-p1363' | 'der' = 'ieee-p1363'): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${b64(sign('sha256', Buffer.from(input), { key, dsaEncoding: encoding }))}`;
}

describe('JWT verification refuses the known attacks', () => {
  let dir: string;
  let server: RunningServer;
  let serverKey: KeyObject;
  let kid: string;
  let publicJwk: Record<string, unknown>;
  let valid: { token: string; claims: Record<string, unknown> };
  let refreshToken: string;

  const header = (extra: Record<string, unknown> = {}) => JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid, ...extra });
  const payload = (extra: Record<string, unknown> = {}) => JSON.stringify({ ...valid.claims, ...extra });
  const without = (name: string) => JSON.stringify(Object.fromEntries(Object.entries(valid.claims).filter(([k]) => k !== name)));
  const me = (token: string) => fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
  async function refused(token: string, what: string): Promise<void> {
    const res = await me(token);
    assert.equal(res.status, 401, what);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer error="invalid_token"', what);
    assert.deepEqual(await res.json(), { detail: 'Could not validate credentials' }, what);
  }

  before(async () => {
    dir = tempDir();
    const env = { GATEHOUSE_DATA_DIR: dir };
    await runCli(['user', 'add', 'johndoe', '--password-stdin'], env, 'correct horse\n');
    await runCli(['user', 'add', 'victim', '--role', 'admin', '--password-stdin'], env, 'victim password\n');
    server = await startServer(env);
    const res = await login(server.url, 'johndoe', 'correct horse');
    const body = (await res.json()) as { access_token: string; refresh_token: string };
    refreshToken = body.refresh_token;
    const [h, p] = body.access_token.split('.') as [string, string];
    kid = (JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string }).kid;
    valid = { token: body.access_token, claims: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown> };
    // The test plays an attacker who somehow holds the real key only where it says so; it reads
    // the key from the data directory to make tokens whose signature is right but whose content is not.
    const db = new BetterSqlite3(path.join(dir, 'gatehouse.db'), { readonly: true });
    const row = db.prepare('select private_key, public_jwk from signing_keys where kid = ?').get(kid) as { private_key: string; public_jwk: string };
    db.close();
    serverKey = createPrivateKey(row.private_key);
    publicJwk = JSON.parse(row.public_jwk) as Record<string, unknown>;
  });
  after(async () => {
    await server?.stop();
    removeDir(dir);
  });

  it('accepts a token the test signs with the server key and unchanged claims (the forging helper works)', async () => {
    assert.equal((await me(valid.token)).status, 200);
    assert.equal((await me(es256(header(), payload(), serverKey))).status, 200);
  });

  it('refuses alg "none", with or without a signature', async () => {
    const input = `${b64(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid }))}.${b64(payload())}`;
    await refused(`${input}.`, 'none, empty signature');
    await refused(`${input}.${valid.token.split('.')[2]}`, 'none, kept signature');
    await refused(`${b64(JSON.stringify({ alg: 'NONE', typ: 'at+jwt', kid }))}.${b64(payload())}.`, 'NONE');
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const input = `${b64(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid }))}.${b64(payload())}`;
    for (const secret of [JSON.stringify(publicJwk), String(publicJwk['x']), createPrivateKey(serverKey.export({ format: 'pem', type: 'pkcs8' })).export({ format: 'pem', type: 'pkcs8' })]) {
      await refused(`${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`, 'HS256 confusion');
    }
  });

  it('refuses unknown kids, and kids with path or SQL characters', async () => {
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    for (const badKid of ['unknown', '../../../../etc/passwd', "' OR '1'='1", 'x'.repeat(500), '']) {
      await refused(es256(header({ kid: badKid }), payload(), attacker), `kid ${badKid.slice(0, 20)}`);
      await refused(es256(header({ kid: badKid }), payload(), serverKey), `kid ${badKid.slice(0, 20)} with the real key`);
    }
    await refused(es256(JSON.stringify({ alg: 'ES256', typ: 'at+jwt' }), payload(), serverKey), 'no kid');
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  it('ignores embedded jwk, jku, x5u and x5c headers', async () => {
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const attackerJwk = attacker.publicKey.export({ format: 'jwk' });
    for (const extra of [
      { jwk: attackerJwk },
      { jwk: attackerJwk, kid: 'attacker' },
      { jku: 'http://127.0.0.1:1/jwks.json' },
      { x5u: 'http://127.0.0.1:1/cert.pem' },
      { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] },
    ]) {
      await refused(es256(header(extra), payload(), attacker.privateKey), `embedded ${Object.keys(extra).join(',')}`);
    }
  });

  it('refuses crit with unknown extensions and unencoded payloads (b64: false)', async () => {
    await refused(es256(header({ crit: ['exp'], exp: 1 }), payload(), serverKey), 'crit');
    await refused(es256(header({ b64: false, crit: ['b64'] }), payload(), serverKey), 'b64 false');
    await refused(es256(header({ b64: false }), payload(), serverKey), 'b64 false without crit');
  });

  it('refuses a tampered payload or signature, and the signature of another key', async () => {
    const [h, p, s] = valid.token.split('.') as [string, string, string];
    await refused(`${h}.${b64(payload({ sub: 'someone-else' }))}.${s}`, 'tampered payload');
    await refused(`${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`, 'tampered signature');
    await refused(`${h}.${p}.`, 'no signature');
    await refused(es256(header(), payload(), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey), 'another key');
  });

  it('refuses duplicate JSON keys in the header or the payload', async () => {
    const claims = payload();
    await refused(es256(`{"alg":"ES256","typ":"at+jwt","kid":"${kid}","kid":"other"}`, claims, serverKey), 'duplicate kid');
    await refused(es256(header(), `${claims.slice(0, -1)},"scope":"me admin"}`, serverKey), 'duplicate scope');
    await refused(es256(header(), `{"sub":"victim",${claims.slice(1)}`, serverKey), 'duplicate sub');
  });

  it('refuses missing, non-numeric and out-of-range exp, nbf and iat', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(es256(header(), without('exp'), serverKey), 'no exp');
    await refused(es256(header(), payload({ exp: String(now + 600) }), serverKey), 'exp as a string');
    await refused(es256(header(), payload({ exp: now - 1 }), serverKey), 'expired');
    await refused(es256(header(), payload({ exp: null }), serverKey), 'exp null');
    await refused(es256(header(), payload({ nbf: now + 3600 }), serverKey), 'nbf in the future');
    await refused(es256(header(), payload({ nbf: 'soon' }), serverKey), 'nbf not a number');
    await refused(es256(header(), without('iat'), serverKey), 'no iat');
    await refused(es256(header(), payload({ iat: now + 86_400 * 365 }), serverKey), 'iat far in the future');
    await refused(es256(header(), payload({ iat: 'yesterday' }), serverKey), 'iat not a number');
  });

  it('refuses a wrong iss, aud or typ', async () => {
    await refused(es256(header(), payload({ iss: 'https://evil.example' }), serverKey), 'iss');
    await refused(es256(header(), payload({ aud: 'https://another-api.example' }), serverKey), 'aud');
    await refused(es256(header(), without('aud'), serverKey), 'no aud');
    for (const typ of ['JWT', 'jwt', 'at+jwt2', undefined]) {
      await refused(es256(JSON.stringify({ alg: 'ES256', kid, ...(typ ? { typ } : {}) }), payload(), serverKey), `typ ${typ}`);
    }
    assert.equal((await me(es256(header({ typ: 'application/at+jwt' }), payload(), serverKey))).status, 200, 'RFC 8725 §3.11 full media type');
  });

  it('refuses tokens over 8 KiB before any crypto', async () => {
    await refused(es256(header(), payload({ pad: 'x'.repeat(9000) }), serverKey), 'oversized');
  });

  it('refuses an ES256 signature with r = s = 0 (CVE-2022-21449) and a DER-encoded signature', async () => {
    const input = `${b64(header())}.${b64(payload())}`;
    await refused(`${input}.${b64(Buffer.alloc(64))}`, 'r = s = 0');
    await refused(es256(header(), payload(), serverKey, 'der'), 'DER');
  });

  it('refuses the token of a deleted user', async () => {
    const res = await login(server.url, 'victim', 'victim password');
    const { access_token: token } = (await res.json()) as { access_token: string };
    assert.equal((await me(token)).status, 200);
    assert.equal((await runCli(['user', 'delete', 'victim'], server.env)).code, 0);
    await refused(token, 'deleted user');
  });

  it('refuses a refresh token as an access token, and an access token as a refresh token', async () => {
    await refused(refreshToken, 'refresh token as bearer');
    const res = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: valid.token }),
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
  });
});

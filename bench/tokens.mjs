// Getting tokens for the load: form logins and refresh grants over keep-alive HTTP (127.0.0.1
// only), and local HS256 minting for the two HS256 peers, whose secret is public.
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { HOST } from './processes.mjs';

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** POSTs a urlencoded form; resolves { status, json } (json null when the body is not JSON). */
export function postForm(port, path, fields) {
  const body = new URLSearchParams(fields).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: HOST,
        port,
        path,
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let json = null;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode, json, text });
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error(`POST ${path} timed out`)));
    req.once('error', reject);
    req.end(body);
  });
}

/** Password grant; resolves the token response or throws with the status and body. */
export async function login(port, username, password) {
  const res = await postForm(port, '/token', { grant_type: 'password', username, password });
  if (res.status !== 200 || typeof res.json?.access_token !== 'string') {
    throw new Error(`login answered ${res.status}: ${res.text.slice(0, 200)}`);
  }
  return res.json;
}

export async function refresh(port, refreshToken) {
  const res = await postForm(port, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken });
  if (res.status !== 200 || typeof res.json?.refresh_token !== 'string') {
    throw new Error(`refresh grant answered ${res.status}: ${res.text.slice(0, 200)}`);
  }
  return res.json;
}

/** Runs `count` tasks with at most `parallel` in flight; resolves their results in order. */
export async function inParallel(count, parallel, task) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return results;
}

/**
 * `chains` logins, then refresh grants along each chain (in parallel) until `count` access
 * tokens were issued. Every token is one the server minted itself. When the server answers
 * logins without a refresh_token, the rest come from more logins (at most `maxLogins` in all).
 * Resolves { tokens, heads (refresh tokens still valid), via: 'refresh' | 'logins' }.
 */
export async function harvest(port, { username, password, count, chains = 8, maxLogins = count }) {
  const first = await inParallel(Math.min(chains, count), 4, () => login(port, username, password));
  if (first.some((t) => typeof t.refresh_token !== 'string')) {
    const more = await inParallel(Math.max(0, Math.min(count, maxLogins) - first.length), 4, () => login(port, username, password));
    return { tokens: [...first, ...more].map((t) => t.access_token), heads: [], via: 'logins' };
  }
  const heads = first.map((t) => t.refresh_token);
  const tokens = [];
  await inParallel(heads.length, heads.length, async (c) => {
    while (tokens.length < count) {
      const answer = await refresh(port, heads[c]);
      heads[c] = answer.refresh_token;
      tokens.push(answer.access_token);
    }
  });
  return { tokens: tokens.slice(0, count), heads, via: 'refresh' };
}

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** HS256 JWT, byte for byte what PyJWT / fast-jwt produce for the same header and claims. */
export function mintHS256(claims, secret) {
  const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/**
 * `count` distinct tokens for `sub`, shaped like the server's own (`withIat`: @fastify/jwt adds
 * iat; PyJWT in the seed does not). They differ only in exp (now + 30 min + i s).
 */
export function mintPool(count, { sub, secret, withIat, offset = 0 }) {
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => {
    const exp = now + 1800 + offset + i;
    return mintHS256(withIat ? { sub, iat: now, exp } : { sub, exp }, secret);
  });
}

export function closeAgent() {
  agent.destroy();
}

import { generateKeyPairSync, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JwtAlgorithm } from '../../src/config.js';
import { encodeSegment, signCompact } from '../../src/tokens/jwt.js';

/** A signing key a test controls: its private half signs tokens, its public JWK goes into the stub's JWKS. */
export interface TestKey {
  readonly kid: string;
  readonly alg: JwtAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: JsonWebKey;
}

export function testKey(alg: Exclude<JwtAlgorithm, 'HS256'> = 'ES256', kid: string = randomUUID()): TestKey {
  const { privateKey, publicKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, alg, privateKey, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
}

/** Gatehouse-shaped access-token claims for `issuer`, valid from `now` (epoch seconds) for 15 minutes. */
export function claimsFor(issuer: string, now = Math.floor(Date.now() / 1000), extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: issuer,
    sub: 'user-1',
    aud: issuer,
    exp: now + 900,
    iat: now,
    jti: randomUUID(),
    scope: 'me items:read',
    client_id: 'gatehouse',
    preferred_username: 'alice',
    ...extra,
  };
}

export function sign(key: Pick<TestKey, 'kid' | 'alg' | 'privateKey'>, claims: object, header: Record<string, unknown> = {}): string {
  return signCompact(encodeSegment({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header }), claims, {
    kid: key.kid,
    alg: key.alg,
    key: key.privateKey,
  });
}

export interface StubAnswer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  /** Milliseconds to wait before answering. */
  readonly delay?: number;
}

export interface SeenRequest {
  readonly path: string;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * An authorization server on loopback whose every answer a test sets: RFC 8414 metadata,
 * a JWKS (with any cache headers) and an RFC 7662 introspection endpoint.
 */
export class StubIssuer {
  keys: unknown[] = [];
  jwksHeaders: Record<string, string> = { 'cache-control': 'public, max-age=60' };
  /** Overrides the JWKS answer entirely (errors, 304 logic is built in when an ETag is set). */
  jwksAnswer: ((request: SeenRequest) => StubAnswer | undefined) | undefined;
  metadataIssuer: string | undefined;
  introspect: (request: SeenRequest) => StubAnswer = () => ({ body: { active: false } });
  readonly seen: SeenRequest[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request: SeenRequest = { path: req.url ?? '/', method: req.method ?? 'GET', headers: req.headers, body: Buffer.concat(chunks).toString() };
        this.seen.push(request);
        const answer = this.answer(request);
        const send = (): void => {
          res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
          res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
        };
        if (answer.delay) setTimeout(send, answer.delay);
        else send();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private answer(request: SeenRequest): StubAnswer {
    switch (request.path) {
      case '/.well-known/oauth-authorization-server':
        return {
          body: {
            issuer: this.metadataIssuer ?? this.url,
            jwks_uri: `${this.url}/jwks`,
            introspection_endpoint: `${this.url}/introspect`,
          },
        };
      case '/jwks': {
        const custom = this.jwksAnswer?.(request);
        if (custom) return custom;
        const etag = this.jwksHeaders['etag'];
        if (etag !== undefined && request.headers['if-none-match'] === etag) return { status: 304, headers: this.jwksHeaders };
        return { headers: this.jwksHeaders, body: { keys: this.keys } };
      }
      case '/introspect':
        return this.introspect(request);
      default:
        return { status: 404, body: { detail: 'Not Found' } };
    }
  }

  count(path: string): number {
    return this.seen.filter((r) => r.path === path).length;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

import { createServer, type IncomingMessage, type ServerOptions, type ServerResponse } from 'node:http';
import type { FastifyServerFactory } from 'fastify';
import type { BearerAuthenticator } from '../services/bearer.js';
import { toProfile } from '../services/users.js';
import type { UserRecord } from '../store/store.js';
import type { PlainApiHeaders } from './plugins/security-headers.js';
import type { Series } from './prometheus.js';

/** Answers a request ahead of the router and says true, or leaves it untouched and says false. */
export type EarlyAnswer = (request: IncomingMessage, response: ServerResponse) => boolean;

const ME_SCOPES = ['me'];

/**
 * `GET /users/me` with a token it has seen before is the call Gatehouse answers most, and
 * all from memory; through Fastify's router, hooks and reply, that answer costs about a
 * third more CPU than the same bytes written from node:http's request event. So such a
 * request is answered there, with the status, headers and body the route gives
 * (test/http/fast-path.test.ts holds them byte for byte to the route's). Every other request
 * goes to Fastify untouched, and so does every one the route might answer otherwise: no
 * token, a token not verified yet, revoked, or without the scope, a user not held in memory
 * or disabled, CORS or a proxy's protocol in play, and anything once the server is closing.
 * Not used when requests are logged (level info or lower): Fastify logs them.
 */
export class UsersMeFastPath {
  /** Each user record's answer; a changed user is a new record (the store's rows are immutable). */
  private readonly answers = new WeakMap<UserRecord, { readonly headers: readonly string[]; readonly body: Buffer }>();
  private open = true;

  constructor(
    private readonly bearer: BearerAuthenticator,
    private readonly plain: PlainApiHeaders,
    /** The series the route's own answers of 200 are counted in. */
    private readonly counted: Series,
  ) {}

  readonly answer: EarlyAnswer = (request, response) => {
    if (!this.open || request.method !== 'GET' || request.url !== '/users/me' || !this.plain.appliesTo(request)) return false;
    const user = this.bearer.heldPrincipal(request.headers.authorization, ME_SCOPES)?.user;
    if (user === undefined) return false;
    const { headers, body } = this.answerFor(user);
    response.writeHead(200, headers as string[]);
    response.end(body);
    this.counted.value++;
    return true;
  };

  /** From the moment the server starts closing: Fastify then answers 503 to requests on open connections. */
  close(): void {
    this.open = false;
  }

  private answerFor(user: UserRecord): { readonly headers: readonly string[]; readonly body: Buffer } {
    let answer = this.answers.get(user);
    if (answer === undefined) {
      const body = Buffer.from(JSON.stringify(toProfile(user)));
      const headers = ['content-type', 'application/json; charset=utf-8', ...this.plain.headers.flat(), 'content-length', String(body.length)];
      answer = { headers, body };
      this.answers.set(user, answer);
    }
    return answer;
  }
}

/** What of its (validated, defaulted) options Fastify applies to the HTTP server it makes. */
interface FastifyServerOptions {
  readonly http?: ServerOptions;
  readonly keepAliveTimeout: number;
  readonly requestTimeout: number;
  readonly connectionTimeout: number;
  readonly maxRequestsPerSocket: number;
}

/**
 * Fastify's serverFactory: the HTTP server Fastify itself would make from its options (the
 * same timeouts), with `early` asked first about every request.
 */
export function serverAnsweringFirst(early: EarlyAnswer): FastifyServerFactory {
  return (handler, fastifyOptions) => {
    const options = fastifyOptions as unknown as FastifyServerOptions;
    const server = createServer(options.http ?? {}, (request, response) => {
      if (!early(request, response)) handler(request, response);
    });
    server.keepAliveTimeout = options.keepAliveTimeout;
    server.requestTimeout = options.requestTimeout;
    server.setTimeout(options.connectionTimeout);
    if (options.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    return server;
  };
}

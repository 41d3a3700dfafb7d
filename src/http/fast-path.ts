import { createServer, type IncomingMessage, type ServerOptions, type ServerResponse } from 'node:http';
import type { FastifyServerFactory } from 'fastify';
import type { BearerAuthenticator, Principal } from '../services/bearer.js';
import { toProfile } from '../services/users.js';
import type { UserRecord } from '../store/store.js';
import type { PlainApiHeaders } from './plugins/security-headers.js';
import type { Series } from './prometheus.js';

/** Where a request goes when the early answer leaves it: Fastify's own request handler. */
export type RouterHandler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Takes a request ahead of the router and says true (it answers it, or hands it to the router
 * later itself), or leaves it untouched and says false.
 */
export type EarlyAnswer = (request: IncomingMessage, response: ServerResponse, router: RouterHandler) => boolean;

const ME_SCOPES = ['me'];

/** Why the early answer's check refused a request it then handed to the router, which answers with it. */
const verdicts = new WeakMap<IncomingMessage, Error>();

/**
 * The refusal the early answer reached for this request, if it reached one: the route's guard
 * answers with it rather than check the token a second time (a forged token costs one
 * signature check, not two).
 */
export function earlyVerdict(request: IncomingMessage): Error | undefined {
  return verdicts.get(request);
}

/**
 * `GET /users/me` is the call Gatehouse answers most, and through Fastify's router, hooks and
 * reply its answer cost half as much CPU again as the same bytes written from node:http's
 * request event (37 against 24 µs in the benchmark, on a 2-core virtual machine). So a request
 * that is exactly that is answered there, with the status,
 * headers and body the route gives (test/routes/users.me.fast-path.test.ts holds them byte
 * for byte to the route's): at once when all it takes is in memory (a token in the
 * verified-token cache, its user's row held), else once its token is checked. A refusal goes
 * to the route with its verdict (see earlyVerdict), so the route answers every error as it
 * always does. Every other request goes to Fastify untouched, and so does every one whose
 * answer could depend on more than the token: CORS or a proxy's protocol in play, and anything
 * once the server is closing.
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

  readonly answer: EarlyAnswer = (request, response, router) => {
    if (!this.open || request.method !== 'GET' || request.url !== '/users/me' || !this.plain.appliesTo(request)) return false;
    const authorization = request.headers.authorization;
    const user = this.bearer.heldPrincipal(authorization, ME_SCOPES)?.user;
    if (user !== undefined) {
      this.send(response, user);
      return true;
    }
    let checked: Principal | Promise<Principal>;
    try {
      checked = this.bearer.authenticate(authorization, ME_SCOPES);
    } catch {
      return false; // refused before any signature check: the route finds the same at the same cost
    }
    if (!(checked instanceof Promise)) return false;
    checked.then(
      (principal) => {
        if (response.destroyed) return;
        if (this.open && principal.user !== undefined) this.send(response, principal.user);
        else router(request, response); // a client's token, or closing: the route knows what to say
      },
      (error: Error) => {
        if (response.destroyed) return;
        verdicts.set(request, error);
        router(request, response);
      },
    );
    return true;
  };

  /** From the moment the server starts closing: Fastify then answers 503 to requests on open connections. */
  close(): void {
    this.open = false;
  }

  private send(response: ServerResponse, user: UserRecord): void {
    const { headers, body } = this.answerFor(user);
    response.writeHead(200, headers as string[]);
    response.end(body);
    this.counted.value++;
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
      if (!early(request, response, handler)) handler(request, response);
    });
    server.keepAliveTimeout = options.keepAliveTimeout;
    server.requestTimeout = options.requestTimeout;
    server.setTimeout(options.connectionTimeout);
    if (options.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    return server;
  };
}

import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
import type { Actor } from '../../services/audit.js';
import type { BearerAuthenticator, Principal } from '../../services/bearer.js';
import { earlyVerdict } from '../fast-path.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/**
 * An onRequest hook that admits only a valid bearer token carrying every scope in
 * `scopes`. It runs before the body is read, so a caller without a token learns nothing
 * from validation and costs no parsing.
 */
export function requireScopes(bearer: BearerAuthenticator, ...scopes: string[]): onRequestHookHandler {
  // Callback style: a request authenticated synchronously (a cached token and user) goes on
  // at once; otherwise Fastify waits on the one promise authenticate returns, not on a second.
  return function guard(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const verdict = earlyVerdict(request.raw);
    if (verdict !== undefined) {
      done(verdict);
      return;
    }
    let principal: Principal | Promise<Principal>;
    try {
      principal = bearer.authenticate(request.headers.authorization, scopes);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (!(principal instanceof Promise)) {
      request.principal = principal;
      done();
      return;
    }
    principal.then((p) => {
      request.principal = p;
      done();
    }, done);
  };
}

/** The principal a guarded route was given; the guard guarantees it is there. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is missing its requireScopes guard');
  return request.principal;
}

/** Who is acting, for the audit trail of a change made through a guarded route. */
export function actorOf(request: FastifyRequest): Actor {
  const { user, clientId } = principalOf(request);
  return { userId: user?.id ?? null, username: user?.username ?? null, clientId, ip: request.ip };
}

import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { BearerAuthenticator, Principal } from '../../services/bearer.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** A preHandler that admits only a valid bearer token carrying every scope in `scopes`. */
export function requireScopes(bearer: BearerAuthenticator, ...scopes: string[]): preHandlerAsyncHookHandler {
  return async function guard(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    request.principal = await bearer.authenticate(request.headers.authorization, scopes);
  };
}

/** The principal a guarded route was given; the guard guarantees it is there. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is missing its requireScopes guard');
  return request.principal;
}

import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, HookHandlerDoneFunction, preHandlerHookHandler } from 'fastify';
import { createVerifier, refusalFor, scopeList, TokenVerifier, type GuardOptions, type Principal } from './core.js';

export { createVerifier, TokenVerifier } from './core.js';
export type { GuardOptions, Principal, TokenClaims } from './core.js';

/*
 * Only types come from 'fastify': this module never loads the framework itself, so it
 * works with the application's own copy (an optional peer dependency).
 */
declare module 'fastify' {
  interface FastifyInstance {
    /** The verifier the `gatehouse` plugin registered. */
    readonly gatehouse: TokenVerifier;
  }
  interface FastifyRequest {
    /** The principal, on routes guarded by `requireScopes()`; null elsewhere. */
    auth: Principal | null;
  }
}

export type GatehousePluginOptions = GuardOptions | { readonly verifier: TokenVerifier };

/**
 * Registers the verifier for the whole application (not encapsulated, like a
 * fastify-plugin): `await app.register(gatehouse, { issuer })`, then guard routes with
 * `requireScopes(...)`.
 */
function plugin(fastify: FastifyInstance, options: GatehousePluginOptions, done: (error?: Error) => void): void {
  if (fastify.hasDecorator('gatehouse')) return done(new Error('the gatehouse plugin is registered twice'));
  let verifier: TokenVerifier;
  try {
    verifier = 'verifier' in options ? options.verifier : createVerifier({ log: fastify.log, ...options });
  } catch (error) {
    return done(error as Error);
  }
  fastify.decorate('gatehouse', verifier);
  fastify.decorateRequest('auth', null);
  done();
}
// What fastify-plugin does: no encapsulation, so the decorators reach every route.
Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'gatehouse' });

export const gatehouse: FastifyPluginCallback<GatehousePluginOptions> = plugin;

/**
 * A preHandler that admits a request only with a valid bearer token carrying every scope
 * named — the counterpart of FastAPI's `Security(get_current_user, scopes=[...])`; with no
 * scopes, of `Depends(get_current_user)`. Refusals are RFC 6750 401/403 answers.
 */
export function requireScopes(...scopes: string[]): preHandlerHookHandler {
  const required = scopeList(scopes);
  return function guard(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const verifier = request.server.gatehouse as TokenVerifier | undefined;
    if (verifier === undefined) return done(new Error('register the gatehouse plugin before using requireScopes()'));
    let result: Principal | Promise<Principal>;
    try {
      result = verifier.authenticate(request.headers.authorization, required);
    } catch (error) {
      return refuse(reply, error, done);
    }
    if (result instanceof Promise) {
      result.then(
        (principal) => {
          request.auth = principal;
          done();
        },
        (error: unknown) => refuse(reply, error, done),
      );
      return;
    }
    request.auth = result;
    done();
  };
}

/** The principal of a guarded route; throws when the route has no `requireScopes()` guard. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.auth === null) throw new Error('this route has no requireScopes() guard');
  return request.auth;
}

function refuse(reply: FastifyReply, error: unknown, done: HookHandlerDoneFunction): void {
  const refusal = refusalFor(error);
  if (refusal === undefined) return done(error as Error);
  // A hook that answers does not call done().
  void reply.code(refusal.status).headers(refusal.headers).send(refusal.body);
}

import type { Context, MiddlewareHandler, Next } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { createVerifier, refusalFor, scopeList, TokenVerifier, type GuardOptions, type Principal } from './core.js';

export { createVerifier, TokenVerifier } from './core.js';
export type { GuardOptions, Principal, TokenClaims } from './core.js';

/** Context variables a guarded route sees: `c.var.auth` (or `c.get('auth')`) is the principal. */
export interface GatehouseEnv {
  Variables: { auth: Principal };
}

export interface HonoGuard {
  readonly verifier: TokenVerifier;
  /**
   * Middleware admitting a request only with a valid bearer token carrying every scope
   * named — FastAPI's `Security(get_current_user, scopes=[...])`; with none, its
   * `Depends(get_current_user)`. Refusals are RFC 6750 401/403 answers.
   */
  requireScopes(...scopes: string[]): MiddlewareHandler<GatehouseEnv>;
}

/**
 * `const { requireScopes } = createGuard({ issuer })`, then
 * `app.get(path, requireScopes('items:read'), (c) => c.json(c.var.auth))`. Only types
 * come from 'hono': this module never loads a framework.
 */
export function createGuard(options: GuardOptions | TokenVerifier): HonoGuard {
  const verifier = options instanceof TokenVerifier ? options : createVerifier(options);
  return {
    verifier,
    requireScopes(...scopes: string[]): MiddlewareHandler<GatehouseEnv> {
      const required = scopeList(scopes);
      return function guard(c: Context<GatehouseEnv>, next: Next): Promise<Response | void> {
        let result: Principal | Promise<Principal>;
        try {
          result = verifier.authenticate(c.req.header('authorization'), required);
        } catch (error) {
          return Promise.resolve(refuse(c, error));
        }
        if (result instanceof Promise) {
          return result.then(
            (principal) => {
              c.set('auth', principal);
              return next();
            },
            (error: unknown) => refuse(c, error),
          );
        }
        c.set('auth', result);
        return next();
      };
    },
  };
}

function refuse(c: Context, error: unknown): Response {
  const refusal = refusalFor(error);
  if (refusal === undefined) throw error;
  return c.body(refusal.body, refusal.status as ContentfulStatusCode, refusal.headers);
}

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createVerifier, refusalFor, scopeList, TokenVerifier, type GuardOptions, type Principal } from './core.js';

export { createVerifier, TokenVerifier } from './core.js';
export type { GuardOptions, Principal, TokenClaims } from './core.js';

/*
 * Only types come from 'express': this module never loads the framework (nor Fastify or
 * Hono), so it works with the application's own copy (an optional peer dependency).
 */
declare global {
  namespace Express {
    interface Request {
      /** The principal, on routes guarded by `requireScopes()`. */
      auth?: Principal;
    }
  }
}

export interface ExpressGuard {
  readonly verifier: TokenVerifier;
  /**
   * Middleware admitting a request only with a valid bearer token carrying every scope
   * named — FastAPI's `Security(get_current_user, scopes=[...])`; with none, its
   * `Depends(get_current_user)`. Refusals are RFC 6750 401/403 answers.
   */
  requireScopes(...scopes: string[]): RequestHandler;
}

/** `const { requireScopes } = createGuard({ issuer })`, then `app.get(path, requireScopes('items:read'), handler)`. */
export function createGuard(options: GuardOptions | TokenVerifier): ExpressGuard {
  const verifier = options instanceof TokenVerifier ? options : createVerifier(options);
  return {
    verifier,
    requireScopes(...scopes: string[]): RequestHandler {
      const required = scopeList(scopes);
      return function guard(req: Request, res: Response, next: NextFunction): void {
        let result: Principal | Promise<Principal>;
        try {
          result = verifier.authenticate(req.headers.authorization, required);
        } catch (error) {
          return refuse(res, error, next);
        }
        if (result instanceof Promise) {
          result.then(
            (principal) => {
              req.auth = principal;
              next();
            },
            (error: unknown) => refuse(res, error, next),
          );
          return;
        }
        req.auth = result;
        next();
      };
    },
  };
}

/** The principal of a guarded route; throws when the route has no `requireScopes()` guard. */
export function principalOf(req: Request): Principal {
  if (req.auth === undefined) throw new Error('this route has no requireScopes() guard');
  return req.auth;
}

function refuse(res: Response, error: unknown, next: NextFunction): void {
  const refusal = refusalFor(error);
  if (refusal === undefined) return next(error);
  // Plain node:http calls: the answer is byte for byte Gatehouse's, with nothing of Express added.
  res.statusCode = refusal.status;
  for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
  res.end(refusal.body);
}

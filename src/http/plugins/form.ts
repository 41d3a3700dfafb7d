import type { FastifyInstance } from 'fastify';
import { excerpt, InvalidRequest, OAuthError } from '../../errors.js';

/**
 * `application/x-www-form-urlencoded` bodies, as RFC 6749 requires for the token,
 * revocation and introspection endpoints. A repeated parameter is an error (RFC 6749 §3.2).
 */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [name, value] of new URLSearchParams(body as string)) {
      if (name in params) return done(new InvalidRequest(`parameter ${excerpt(name)} is repeated`), undefined);
      params[name] = value;
    }
    done(null, params);
  });
}

/** preValidation hook for form-only routes: other content types are refused. */
export function formOnly(request: { headers: Record<string, string | string[] | undefined>; body: unknown }): Promise<void> {
  const type = request.headers['content-type'];
  if (type === undefined && (request.body === undefined || request.body === null)) {
    request.body = {};
    return Promise.resolve();
  }
  if (typeof type !== 'string' || type.split(';')[0]?.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
    return Promise.reject(new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded', 415));
  }
  return Promise.resolve();
}

import type { FastifyRequest } from 'fastify';
import { OAuthError } from '../../errors.js';

/**
 * preValidation hook for routes that take a JSON body: a form or text body is refused
 * (415) even when its fields would pass the schema, so a cross-site HTML form cannot post
 * to them.
 */
export function jsonOnly(request: FastifyRequest): Promise<void> {
  const type = request.headers['content-type'];
  if (typeof type !== 'string' || type.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
    return Promise.reject(new OAuthError('invalid_request', 'Content-Type must be application/json', 415));
  }
  return Promise.resolve();
}

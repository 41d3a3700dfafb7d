import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { bearerChallenge, BearerError, GatehouseError, OAuthError, Unavailable } from '../../errors.js';

/**
 * The one mapping from errors to HTTP. Typed errors carry their status and a safe text;
 * Fastify's own 4xx (validation, body size, media type) become `invalid_request`;
 * anything else is a bug: logged with the request id, answered with a generic 500.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof BearerError) return sendBearer(reply, error);
    if (error instanceof OAuthError) return sendOAuth(reply, error);
    if (error instanceof GatehouseError) {
      if (error instanceof Unavailable) reply.header('retry-after', String(error.retryAfter));
      return reply.code(error.status).send({ error: error.code, error_description: error.message, detail: error.message });
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      return sendOAuth(reply, new OAuthError('invalid_request', describeValidation(fastifyError)));
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendOAuth(reply, new OAuthError('invalid_request', describeClientError(fastifyError), status));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: 'server_error', error_description: 'Internal server error', detail: 'Internal server error' });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'not_found', detail: 'Not Found' });
  });
}

/**
 * What the router refuses before any route or hook runs (Fastify's frameworkErrors): a path
 * parameter longer than any id is a path nothing is at; bad percent-encoding is a bad request.
 */
export function answerRouterError(error: FastifyError, reply: FastifyReply): FastifyReply {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found', detail: 'Not Found' });
  return sendOAuth(reply, new OAuthError('invalid_request', 'The request path is not valid'));
}

export function sendOAuth(reply: FastifyReply, error: OAuthError): FastifyReply {
  // RFC 6749 §5.2: a failed client authentication answers 401 with a challenge.
  if (error.code === 'invalid_client') reply.header('www-authenticate', 'Basic realm="gatehouse", charset="UTF-8"');
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  reply.header('cache-control', 'no-store');
  return reply.code(error.status).send({ error: error.code, error_description: error.message, detail: error.message });
}

function sendBearer(reply: FastifyReply, error: BearerError): FastifyReply {
  return reply
    .code(error.status)
    .header('www-authenticate', bearerChallenge(error))
    .header('cache-control', 'no-store')
    .send({ detail: error.message });
}

function describeValidation(error: FastifyError): string {
  const first = error.validation?.[0];
  if (!first) return 'The request is not valid';
  const params = first.params as { missingProperty?: string; additionalProperty?: string } | undefined;
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const where = error.validationContext ?? 'request';
  // Name the field that is not accepted, rather than ajv's "must NOT have additional properties".
  if (params?.additionalProperty !== undefined) return `${where}.${[path, params.additionalProperty.slice(0, 64)].filter(Boolean).join('.')} is not accepted here`;
  if (first.keyword === 'minProperties' && path === '') return `${where} must name at least one field to change`;
  if (params?.missingProperty !== undefined) return `${where}.${[path, params.missingProperty].filter(Boolean).join('.')} is required`;
  return path ? `${where}.${path} ${first.message ?? 'is not valid'}` : `${where} ${first.message ?? 'is not valid'}`;
}

function describeClientError(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'Request body is too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Unsupported content type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Body must not be empty when content-type is application/json';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'Content-Length does not match the body';
    default:
      return error.statusCode === 400 && error instanceof SyntaxError ? 'Body is not valid JSON' : 'The request is not valid';
  }
}

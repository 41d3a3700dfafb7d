import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';

/** JSON answers never render: nothing may load, nothing may frame them. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Swagger UI is served from this origin only (no CDN). Its bundle sets inline styles, and
 * Try-it-out and Authorize call this origin, so: scripts self, styles self + inline,
 * images self + data:, connections self.
 */
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

const CORS_METHODS = 'GET, POST, PATCH, DELETE, OPTIONS';
const CORS_HEADERS = 'Authorization, Content-Type';

function setDocumentHeaders(reply: FastifyReply, csp: string): FastifyReply {
  return reply
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('content-security-policy', csp);
}

/** The headers of an API answer, for the answers that no hook sees (the router's own refusals). */
export function withApiSecurityHeaders(reply: FastifyReply): FastifyReply {
  return setDocumentHeaders(reply, API_CSP);
}

/**
 * Headers on every answer: nosniff, no referrer, no framing, a CSP, no caching of API
 * data unless a route says otherwise, HSTS when the request came over TLS; and CORS for
 * the configured origins only (off by default).
 */
export function registerSecurityHeaders(app: FastifyInstance, config: Config): void {
  const allowedOrigins = new Set(config.corsOrigins);

  if (allowedOrigins.size > 0) {
    app.addHook('onRequest', async (request, reply) => {
      const origin = request.headers.origin;
      if (request.method !== 'OPTIONS' || origin === undefined || request.headers['access-control-request-method'] === undefined) return;
      // A CORS preflight: answered here for allowed origins, refused (no CORS headers) otherwise.
      reply.header('vary', 'Origin');
      if (allowedOrigins.has(origin)) {
        reply
          .header('access-control-allow-origin', origin)
          .header('access-control-allow-methods', CORS_METHODS)
          .header('access-control-allow-headers', CORS_HEADERS)
          .header('access-control-max-age', '600');
      }
      await reply.code(204).send();
    });
  }

  // Callback style: an async hook costs every answer a promise for nothing asynchronous.
  app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload, done) => {
    const docs = request.url === '/docs' || request.url.startsWith('/docs/');
    setDocumentHeaders(reply, docs ? DOCS_CSP : API_CSP);
    if (!docs && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    // RFC 6797: only over TLS (directly, or as a trusted proxy reports it).
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    const origin = request.headers.origin;
    if (origin !== undefined && allowedOrigins.has(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'Origin');
    }
    done(null, payload);
  });
}

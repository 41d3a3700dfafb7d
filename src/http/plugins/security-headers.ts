import type { IncomingMessage } from 'node:http';
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

/** Header names and values, in the order they are set. */
type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

function documentHeaders(csp: string): HeaderList {
  return [
    ['x-content-type-options', 'nosniff'],
    ['referrer-policy', 'no-referrer'],
    ['x-frame-options', 'DENY'],
    ['cross-origin-opener-policy', 'same-origin'],
    ['content-security-policy', csp],
  ];
}

const API_HEADERS = documentHeaders(API_CSP);
const DOCS_HEADERS = documentHeaders(DOCS_CSP);

function setDocumentHeaders(reply: FastifyReply, headers: HeaderList): FastifyReply {
  for (const [name, value] of headers) reply.header(name, value);
  return reply;
}

/** The headers of an API answer, for the answers that no hook sees (the router's own refusals). */
export function withApiSecurityHeaders(reply: FastifyReply): FastifyReply {
  return setDocumentHeaders(reply, API_HEADERS);
}

/**
 * What the onSend hook below adds to an API answer that sets no Cache-Control of its own, in
 * the order it adds them, for answers sent before the router (see http/fast-path.ts), and
 * which requests those are all it adds: not one with an Origin when CORS is on, nor one whose
 * protocol a trusted proxy may report as https.
 */
export interface PlainApiHeaders {
  readonly headers: HeaderList;
  appliesTo(request: IncomingMessage): boolean;
}

export function plainApiHeaders(config: Config): PlainApiHeaders {
  const cors = config.corsOrigins.length > 0;
  const proxied = config.trustProxy !== false;
  return {
    headers: [...API_HEADERS, ['cache-control', 'no-store']],
    appliesTo: (request) => !(cors && request.headers.origin !== undefined) && !(proxied && request.headers['x-forwarded-proto'] !== undefined),
  };
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
    setDocumentHeaders(reply, docs ? DOCS_HEADERS : API_HEADERS);
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

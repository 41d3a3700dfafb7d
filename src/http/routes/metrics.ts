import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { BearerAuthenticator } from '../../services/bearer.js';
import type { Metrics } from '../plugins/metrics.js';
import { requireScopes } from '../plugins/auth.js';
import { PROMETHEUS_CONTENT_TYPE } from '../prometheus.js';
import { DetailBody } from '../schemas/common.js';

/**
 * `GET /metrics` in the Prometheus text format. It needs the `metrics` scope: traffic and
 * login failure counts are nobody else's business, and Prometheus can fetch a token
 * itself (its scrape config's `oauth2` block does the client_credentials grant).
 */
export function metricsRoutes(app: FastifyInstance, bearer: BearerAuthenticator, metrics: Metrics): void {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Text exposition format 0.0.4. Needs the `metrics` scope: register a client with it (`gatehouse client add prometheus --scope metrics`) ' +
          'and let Prometheus get tokens with the client_credentials grant.',
        tags: ['operations'],
        security: [{ OAuth2PasswordBearer: ['metrics'] }],
        response: {
          200: { description: 'Prometheus text format', content: { 'text/plain': { schema: Type.String() } } },
          401: DetailBody,
          403: DetailBody,
        },
      },
      onRequest: requireScopes(bearer, 'metrics'),
    },
    async (_request, reply) => reply.header('content-type', PROMETHEUS_CONTENT_TYPE).send(metrics.render()),
  );
}

import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { BearerAuthenticator } from '../../services/bearer.js';
import { Unavailable } from '../../errors.js';
import type { Metrics, MetricsSnapshot } from '../plugins/metrics.js';
import { requireScopes } from '../plugins/auth.js';
import { PROMETHEUS_CONTENT_TYPE } from '../prometheus.js';
import { DetailBody } from '../schemas/common.js';

/**
 * `GET /metrics` in the Prometheus text format. It needs the `metrics` scope: traffic and
 * login failure counts are nobody else's business, and Prometheus can fetch a token
 * itself (its scrape config's `oauth2` block does the client_credentials grant).
 */
export function metricsRoutes(app: FastifyInstance, bearer: BearerAuthenticator, metrics: Metrics, cluster?: MetricsOfCluster): void {
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
          503: DetailBody,
        },
      },
      onRequest: requireScopes(bearer, 'metrics'),
    },
    async (_request, reply) => {
      let snapshots: readonly MetricsSnapshot[] | undefined;
      if (cluster) {
        try {
          snapshots = await cluster.snapshots();
        } catch {
          // A part of the counts would read as a counter reset: no answer is better.
          throw new Unavailable('The workers’ metrics cannot be gathered right now', 1);
        }
      }
      return reply.header('content-type', PROMETHEUS_CONTENT_TYPE).send(metrics.render(snapshots));
    },
  );
}

/** In a worker of a cluster: every worker's figures, so that one scrape covers the server. */
export interface MetricsOfCluster {
  snapshots(): Promise<readonly MetricsSnapshot[]>;
}

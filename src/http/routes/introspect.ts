import type { FastifyInstance } from 'fastify';
import type { ClientService } from '../../services/clients.js';
import type { Introspection } from '../../services/introspection.js';
import { clientCredentials } from '../client-credentials.js';
import { formOnly } from '../plugins/form.js';
import { OAuthErrorBody } from '../schemas/common.js';
import { IntrospectionResponse, TokenParameter } from '../schemas/oauth.js';

export function introspectRoutes(app: FastifyInstance, clients: ClientService, introspection: Introspection): void {
  app.post(
    '/introspect',
    {
      schema: {
        summary: 'Introspect a token (RFC 7662)',
        description: 'For confidential clients (client_secret_basic or client_secret_post). Answers {"active": false} for anything that is not a live token.',
        tags: ['oauth2'],
        consumes: ['application/x-www-form-urlencoded'],
        body: TokenParameter,
        response: { 200: IntrospectionResponse, 400: OAuthErrorBody, 401: OAuthErrorBody, 503: OAuthErrorBody },
      },
      preValidation: formOnly,
    },
    async (request, reply) => {
      const params = request.body as Record<string, string>;
      const client = await clients.authenticate(clientCredentials(request.headers.authorization, params), request.ip);
      const answer = await introspection.introspect(params['token'], client);
      return reply.header('cache-control', 'no-store').send(answer);
    },
  );
}

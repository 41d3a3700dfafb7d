import type { FastifyInstance } from 'fastify';
import type { TokenEndpoint } from '../../services/token-endpoint.js';
import { clientCredentials } from '../client-credentials.js';
import { formOnly } from '../plugins/form.js';
import { OAuthErrorBody } from '../schemas/common.js';
import { TokenRequest, TokenResponse } from '../schemas/token.js';

export function tokenRoutes(app: FastifyInstance, endpoint: TokenEndpoint): void {
  app.post(
    '/token',
    {
      schema: {
        summary: 'Get an access token (OAuth 2 token endpoint)',
        description:
          'RFC 6749 token endpoint. Grants: password (the default when grant_type is absent), refresh_token, client_credentials. ' +
          'Clients authenticate with client_secret_basic or client_secret_post; public clients send only client_id, or nothing.',
        tags: ['oauth2'],
        consumes: ['application/x-www-form-urlencoded'],
        body: TokenRequest,
        response: { 200: TokenResponse, 400: OAuthErrorBody, 401: OAuthErrorBody, 429: OAuthErrorBody },
      },
      preValidation: formOnly,
    },
    async (request, reply) => {
      const params = request.body as Record<string, string>;
      const credentials = clientCredentials(request.headers.authorization, params);
      const response = await endpoint.exchange(params, { ip: request.ip, credentials });
      // RFC 6749 §5.1: token responses must not be cached.
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
    },
  );
}

import type { FastifyInstance } from 'fastify';
import type { ClientService } from '../../services/clients.js';
import type { TokenRevocation } from '../../services/revocation.js';
import { clientCredentials } from '../client-credentials.js';
import { formOnly } from '../plugins/form.js';
import { OAuthErrorBody } from '../schemas/common.js';
import { TokenParameter } from '../schemas/oauth.js';

export function revokeRoutes(app: FastifyInstance, clients: ClientService, revocation: TokenRevocation): void {
  app.post(
    '/revoke',
    {
      schema: {
        summary: 'Revoke a token (RFC 7009)',
        description:
          'A refresh token ends its login (the whole family, with its access tokens); an access token stops working until it expires. ' +
          'Unknown or expired tokens answer 200 too. Confidential clients authenticate; a token can be revoked only by the client it was issued to.',
        tags: ['oauth2'],
        consumes: ['application/x-www-form-urlencoded'],
        body: TokenParameter,
        response: { 200: { type: 'null', description: 'Revoked, or nothing to revoke' }, 400: OAuthErrorBody, 401: OAuthErrorBody },
      },
      preValidation: formOnly,
    },
    async (request, reply) => {
      const params = request.body as Record<string, string>;
      const client = await clients.authenticate(clientCredentials(request.headers.authorization, params), request.ip);
      await revocation.revoke(params['token'], client, request.ip);
      return reply.header('cache-control', 'no-store').code(200).send();
    },
  );
}

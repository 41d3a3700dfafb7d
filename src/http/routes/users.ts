import type { FastifyInstance } from 'fastify';
import type { BearerAuthenticator } from '../../services/bearer.js';
import { toProfile } from '../../services/users.js';
import { BearerError } from '../../errors.js';
import { principalOf, requireScopes } from '../plugins/auth.js';
import { DetailBody } from '../schemas/common.js';
import { UserProfile } from '../schemas/users.js';

export function userRoutes(app: FastifyInstance, bearer: BearerAuthenticator): void {
  app.get(
    '/users/me',
    {
      schema: {
        summary: 'The signed-in user',
        tags: ['users'],
        security: [{ OAuth2PasswordBearer: ['me'] }],
        response: { 200: UserProfile, 401: DetailBody, 403: DetailBody },
      },
      preHandler: requireScopes(bearer, 'me'),
    },
    async (request, reply) => {
      const { user } = principalOf(request);
      // A client_credentials token speaks for a client, which has no profile.
      if (!user) throw new BearerError('insufficient_scope', 'This token does not belong to a user', ['me']);
      return reply.header('cache-control', 'no-store').send(toProfile(user));
    },
  );
}

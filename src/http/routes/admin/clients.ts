import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { BearerAuthenticator } from '../../../services/bearer.js';
import { toClientView, type ClientService } from '../../../services/clients.js';
import { requireScopes } from '../../plugins/auth.js';
import { DetailBody, PageQuery, readPage } from '../../schemas/common.js';
import { ClientIdParams, ClientList, ClientView, CreatedClient, NewClient } from '../../schemas/clients.js';

const security = [{ OAuth2PasswordBearer: ['admin'] }];
const failures = { 400: DetailBody, 401: DetailBody, 403: DetailBody };

/** `/admin/clients`: registered OAuth clients. Needs the `admin` scope. */
export function adminClientRoutes(app: FastifyInstance, bearer: BearerAuthenticator, clients: ClientService): void {
  const guard = requireScopes(bearer, 'admin');

  app.get(
    '/admin/clients',
    {
      schema: { summary: 'List clients', tags: ['admin'], security, querystring: PageQuery, response: { 200: ClientList, ...failures } },
      onRequest: guard,
    },
    async (request, reply) => {
      const { clients: list, total } = await clients.list(readPage(request.query as Static<typeof PageQuery>));
      return reply.header('cache-control', 'no-store').send({ clients: list.map(toClientView), total });
    },
  );

  app.post(
    '/admin/clients',
    {
      schema: {
        summary: 'Register a client',
        description: 'A confidential client (the default) gets a generated client_secret, shown in this answer only.',
        tags: ['admin'],
        security,
        body: NewClient,
        response: { 201: CreatedClient, ...failures },
      },
      onRequest: guard,
    },
    async (request, reply) => {
      const body = request.body as Static<typeof NewClient>;
      const { client, secret } = await clients.register({ name: body.name, public: body.public ?? false, scopes: body.scopes ?? [] });
      const view = toClientView(client);
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .header('location', `/admin/clients/${encodeURIComponent(client.id)}`)
        .send({ ...view, ...(secret !== undefined ? { client_secret: secret } : {}) });
    },
  );

  app.get(
    '/admin/clients/:client_id',
    {
      schema: { summary: 'Read a client', tags: ['admin'], security, params: ClientIdParams, response: { 200: ClientView, 404: DetailBody, ...failures } },
      onRequest: guard,
    },
    async (request, reply) => {
      const { client_id: id } = request.params as Static<typeof ClientIdParams>;
      return reply.header('cache-control', 'no-store').send(toClientView(await clients.get(id)));
    },
  );

  app.delete(
    '/admin/clients/:client_id',
    {
      schema: {
        summary: 'Delete a client',
        description: 'Its logins end and the access tokens issued from them are revoked.',
        tags: ['admin'],
        security,
        params: ClientIdParams,
        response: { 204: { type: 'null', description: 'Deleted' }, 404: DetailBody, ...failures },
      },
      onRequest: guard,
    },
    async (request, reply) => {
      const { client_id: id } = request.params as Static<typeof ClientIdParams>;
      await clients.delete(id);
      return reply.code(204).send();
    },
  );
}

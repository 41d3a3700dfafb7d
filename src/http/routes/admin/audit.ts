import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { toAuditEventView, type Audit } from '../../../services/audit.js';
import type { BearerAuthenticator } from '../../../services/bearer.js';
import { requireScopes } from '../../plugins/auth.js';
import { DetailBody, readPage } from '../../schemas/common.js';
import { AuditList, AuditQuery } from '../../schemas/audit.js';

/** `/admin/audit`: the security events the server recorded. Needs the `admin` scope. */
export function adminAuditRoutes(app: FastifyInstance, bearer: BearerAuthenticator, audit: Audit): void {
  app.get(
    '/admin/audit',
    {
      schema: {
        summary: 'Audit events',
        description:
          'Newest first. Logins, password changes, user and client changes, refresh-token reuse, revocations. ' +
          'Changes made through the API name their `actor` in `detail`.',
        tags: ['admin'],
        security: [{ OAuth2PasswordBearer: ['admin'] }],
        querystring: AuditQuery,
        response: { 200: AuditList, 400: DetailBody, 401: DetailBody, 403: DetailBody },
      },
      onRequest: requireScopes(bearer, 'admin'),
    },
    async (request, reply) => {
      const query = request.query as Static<typeof AuditQuery>;
      const { events, total } = await audit.list({
        ...readPage(query),
        ...(query.type !== undefined ? { type: query.type } : {}),
        ...(query.user_id !== undefined ? { userId: query.user_id } : {}),
      });
      return reply.send({ total, events: events.map(toAuditEventView) });
    },
  );
}

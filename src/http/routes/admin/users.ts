import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { Services } from '../../../services/container.js';
import { toSessionView } from '../../../services/sessions.js';
import { toProfile } from '../../../services/users.js';
import { actorOf, requireScopes } from '../../plugins/auth.js';
import { jsonOnly } from '../../plugins/json.js';
import { DetailBody, PageQuery, readPage } from '../../schemas/common.js';
import {
  NewUser,
  PasswordSet,
  SessionList,
  UserIdParams,
  UserList,
  UserListQuery,
  UserPatch,
  UserProfile,
  UserSessionParams,
} from '../../schemas/users.js';

const security = [{ OAuth2PasswordBearer: ['admin'] }];
const failures = { 400: DetailBody, 401: DetailBody, 403: DetailBody };
/** Routes with a JSON body also answer 415 to any other content type. */
const bodyFailures = { ...failures, 415: DetailBody };
const noContent = { type: 'null', description: 'Done' } as const;

/** `/admin/users`: every account, its sessions and its password. Needs the `admin` scope. */
export function adminUserRoutes(app: FastifyInstance, { bearer, users, sessions }: Pick<Services, 'bearer' | 'users' | 'sessions'>): void {
  const guard = requireScopes(bearer, 'admin');

  app.get(
    '/admin/users',
    {
      schema: {
        summary: 'List users',
        description: 'Ordered by username; `search` matches part of the username (any case) or of the email.',
        tags: ['admin'],
        security,
        querystring: UserListQuery,
        response: { 200: UserList, ...failures },
      },
      onRequest: guard,
    },
    async (request, reply) => {
      const query = request.query as Static<typeof UserListQuery>;
      const { users: list, total } = await users.list({ ...readPage(query), ...(query.search ? { search: query.search } : {}) });
      return reply.send({ total, users: list.map(toProfile) });
    },
  );

  app.post(
    '/admin/users',
    {
      schema: {
        summary: 'Create a user',
        description: 'Roles default to ["user"]. A taken username (in any spelling that normalises to it) answers 409.',
        tags: ['admin'],
        security,
        body: NewUser,
        response: { 201: UserProfile, ...bodyFailures, 409: DetailBody },
      },
      onRequest: guard,
      preValidation: jsonOnly,
    },
    async (request, reply) => {
      const body = request.body as Static<typeof NewUser>;
      const user = await users.create(
        {
          username: body.username,
          password: body.password,
          email: body.email ?? null,
          fullName: body.full_name ?? null,
          ...(body.roles !== undefined ? { roles: body.roles } : {}),
          disabled: body.disabled ?? false,
        },
        actorOf(request),
      );
      return reply.code(201).header('location', `/admin/users/${encodeURIComponent(user.id)}`).send(toProfile(user));
    },
  );

  app.get(
    '/admin/users/:id',
    {
      schema: { summary: 'Read a user', tags: ['admin'], security, params: UserIdParams, response: { 200: UserProfile, 404: DetailBody, ...failures } },
      onRequest: guard,
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof UserIdParams>;
      return reply.send(toProfile(await users.get(id)));
    },
  );

  app.patch(
    '/admin/users/:id',
    {
      schema: {
        summary: 'Update a user',
        description:
          'Profile, roles (replaced as a whole) and the disabled flag. A disabled user’s tokens stop working at once and ' +
          'work again when re-enabled. Nobody changes their own roles or disables themselves here.',
        tags: ['admin'],
        security,
        params: UserIdParams,
        body: UserPatch,
        response: { 200: UserProfile, 404: DetailBody, ...bodyFailures },
      },
      onRequest: guard,
      preValidation: jsonOnly,
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof UserIdParams>;
      const body = request.body as Static<typeof UserPatch>;
      const user = await users.update(
        id,
        {
          ...(body.email !== undefined ? { email: body.email } : {}),
          ...(body.full_name !== undefined ? { fullName: body.full_name } : {}),
          ...(body.roles !== undefined ? { roles: body.roles } : {}),
          ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
        },
        actorOf(request),
      );
      return reply.send(toProfile(user));
    },
  );

  app.delete(
    '/admin/users/:id',
    {
      schema: {
        summary: 'Delete a user',
        description: 'The user’s sessions go with it and their access tokens stop working at once. Nobody deletes themselves here.',
        tags: ['admin'],
        security,
        params: UserIdParams,
        response: { 204: noContent, 404: DetailBody, ...failures },
      },
      onRequest: guard,
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof UserIdParams>;
      await users.delete(id, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.post(
    '/admin/users/:id/password',
    {
      schema: {
        summary: 'Set a user’s password',
        description: 'Checked against the password policy. Every session of the user ends, with the access tokens issued from it.',
        tags: ['admin'],
        security,
        params: UserIdParams,
        body: PasswordSet,
        response: { 204: noContent, 404: DetailBody, ...bodyFailures, 409: DetailBody },
      },
      onRequest: guard,
      preValidation: jsonOnly,
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof UserIdParams>;
      await users.setPassword(id, (request.body as Static<typeof PasswordSet>).password, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.get(
    '/admin/users/:id/sessions',
    {
      schema: {
        summary: 'A user’s sessions',
        description: 'Logins that hold a live refresh token, newest first.',
        tags: ['admin'],
        security,
        params: UserIdParams,
        querystring: PageQuery,
        response: { 200: SessionList, 404: DetailBody, ...failures },
      },
      onRequest: guard,
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof UserIdParams>;
      const { families, total } = await sessions.list(id, readPage(request.query as Static<typeof PageQuery>));
      return reply.send({ total, sessions: families.map(toSessionView) });
    },
  );

  app.delete(
    '/admin/users/:id/sessions/:sessionId',
    {
      schema: {
        summary: 'End a user’s session',
        description: 'Its refresh token and the access tokens issued from it stop working. A session of another user answers 404.',
        tags: ['admin'],
        security,
        params: UserSessionParams,
        response: { 204: noContent, 404: DetailBody, ...failures },
      },
      onRequest: guard,
    },
    async (request, reply) => {
      const { id, sessionId } = request.params as Static<typeof UserSessionParams>;
      await sessions.end(id, sessionId, actorOf(request));
      return reply.code(204).send();
    },
  );
}

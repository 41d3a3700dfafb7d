import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import type { Config } from '../../config.js';
import { BearerError, RegistrationClosed } from '../../errors.js';
import type { Services } from '../../services/container.js';
import { toSessionView } from '../../services/sessions.js';
import { toProfile } from '../../services/users.js';
import type { UserRecord } from '../../store/store.js';
import { actorOf, principalOf, requireScopes } from '../plugins/auth.js';
import { jsonOnly } from '../plugins/json.js';
import { DetailBody, OAuthErrorBody, PageQuery, readPage } from '../schemas/common.js';
import { OwnSessionParams, PasswordChange, ProfilePatch, Registration, SessionList, UserProfile } from '../schemas/users.js';

const security = [{ OAuth2PasswordBearer: ['me'] }];
const failures = { 400: DetailBody, 401: DetailBody, 403: DetailBody };
/** Routes with a JSON body also answer 415 to any other content type. */
const bodyFailures = { ...failures, 415: DetailBody };
const noContent = { type: 'null', description: 'Done' } as const;

/** `/users/me…`: the caller's own account (scope `me`); `POST /users`: self-registration. */
export function userRoutes(
  app: FastifyInstance,
  { bearer, users, sessions }: Pick<Services, 'bearer' | 'users' | 'sessions'>,
  registration: Config['registration'],
): void {
  const guard = requireScopes(bearer, 'me');

  app.get(
    '/users/me',
    {
      schema: { summary: 'The signed-in user', tags: ['users'], security, response: { 200: UserProfile, 401: DetailBody, 403: DetailBody } },
      onRequest: guard,
    },
    (request, reply) => {
      reply.send(toProfile(userOf(request)));
    },
  );

  app.patch(
    '/users/me',
    {
      schema: {
        summary: 'Change your email or full name',
        description: 'Only `email` and `full_name`; username, roles and the disabled flag are for an admin to change.',
        tags: ['users'],
        security,
        body: ProfilePatch,
        response: { 200: UserProfile, ...bodyFailures },
      },
      onRequest: guard,
      preValidation: jsonOnly,
    },
    async (request, reply) => {
      const body = request.body as Static<typeof ProfilePatch>;
      const user = await users.update(
        userOf(request).id,
        { ...(body.email !== undefined ? { email: body.email } : {}), ...(body.full_name !== undefined ? { fullName: body.full_name } : {}) },
        actorOf(request),
      );
      return reply.send(toProfile(user));
    },
  );

  app.post(
    '/users/me/password',
    {
      schema: {
        summary: 'Change your password',
        description:
          'Needs the current password. Every other session of the user ends: their refresh tokens and the access ' +
          'tokens issued with them stop working. This session (the one that issued the access token sent) goes on.',
        tags: ['users'],
        security,
        body: PasswordChange,
        response: { 204: noContent, ...bodyFailures, 409: DetailBody },
      },
      onRequest: guard,
      preValidation: jsonOnly,
    },
    async (request, reply) => {
      const body = request.body as Static<typeof PasswordChange>;
      await users.changePassword(userOf(request).id, body.current_password, body.new_password, actorOf(request), principalOf(request).claims.jti);
      return reply.code(204).send();
    },
  );

  app.get(
    '/users/me/sessions',
    {
      schema: {
        summary: 'Your sessions',
        description: 'Logins that hold a live refresh token, newest first.',
        tags: ['users'],
        security,
        querystring: PageQuery,
        response: { 200: SessionList, ...failures },
      },
      onRequest: guard,
    },
    async (request, reply) => {
      const { families, total } = await sessions.list(userOf(request).id, readPage(request.query as Static<typeof PageQuery>));
      return reply.send({ total, sessions: families.map(toSessionView) });
    },
  );

  app.delete(
    '/users/me/sessions/:id',
    {
      schema: {
        summary: 'End one of your sessions',
        description: 'Its refresh token and the access tokens issued from it stop working. Another user’s session id answers 404.',
        tags: ['users'],
        security,
        params: OwnSessionParams,
        response: { 204: noContent, 404: DetailBody, ...failures },
      },
      onRequest: guard,
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof OwnSessionParams>;
      await sessions.end(userOf(request).id, id, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.post(
    '/users',
    {
      schema: {
        summary: 'Register',
        description:
          'Self-registration, when GATEHOUSE_REGISTRATION=open (otherwise 403 registration_closed). The new user has the ' +
          'role `user`; log in at /token. A taken username answers 409, whatever its spelling.',
        tags: ['users'],
        body: Registration,
        response: { 201: UserProfile, 400: OAuthErrorBody, 403: OAuthErrorBody, 409: OAuthErrorBody, 415: OAuthErrorBody },
      },
      // Closed is answered before the body is even read.
      onRequest: async () => {
        if (registration !== 'open') throw new RegistrationClosed();
      },
      preValidation: jsonOnly,
    },
    async (request, reply) => {
      const body = request.body as Static<typeof Registration>;
      const user = await users.register(
        { username: body.username, password: body.password, email: body.email ?? null, fullName: body.full_name ?? null },
        request.ip,
      );
      return reply.code(201).send(toProfile(user));
    },
  );
}

/** The user a `me` token speaks for; a client_credentials token speaks for a client, which has no account. */
function userOf(request: FastifyRequest): UserRecord {
  const { user } = principalOf(request);
  if (!user) throw new BearerError('insufficient_scope', 'This token does not belong to a user', ['me']);
  return user;
}

import type { FastifyInstance } from 'fastify';
import type { ClientCredentials } from '../../services/grants/grant.js';
import type { TokenEndpoint } from '../../services/token-endpoint.js';
import { InvalidClient } from '../../errors.js';
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
          'RFC 6749 token endpoint. Grants: password (the default when grant_type is absent), refresh_token, client_credentials.',
        tags: ['oauth2'],
        consumes: ['application/x-www-form-urlencoded'],
        body: TokenRequest,
        response: { 200: TokenResponse, 400: OAuthErrorBody, 401: OAuthErrorBody, 429: OAuthErrorBody },
      },
      preValidation: formOnly,
    },
    async (request, reply) => {
      const params = request.body as Record<string, string>;
      const client = clientCredentials(request.headers.authorization, params);
      const response = await endpoint.exchange(params, { ip: request.ip, client });
      // RFC 6749 §5.1: token responses must not be cached.
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
    },
  );
}

/**
 * Client credentials from `Authorization: Basic` (form-urlencoded before base64, RFC 6749
 * §2.3.1) or from the body. Empty Basic credentials — Swagger UI sends `Basic Og==` —
 * mean no client authentication.
 */
export function clientCredentials(authorization: string | undefined, params: Readonly<Record<string, string>>): ClientCredentials | undefined {
  if (authorization !== undefined && /^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new InvalidClient('Malformed Basic credentials');
    const id = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    if (id !== '') {
      if (params['client_secret'] !== undefined) throw new InvalidClient('Use one client authentication method, not two');
      return { clientId: id, clientSecret: secret, method: 'client_secret_basic' };
    }
  }
  const id = params['client_id'];
  if (id === undefined || id === '') return undefined;
  const secret = params['client_secret'];
  return secret === undefined || secret === ''
    ? { clientId: id, clientSecret: undefined, method: 'none' }
    : { clientId: id, clientSecret: secret, method: 'client_secret_post' };
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new InvalidClient('Malformed Basic credentials');
  }
}

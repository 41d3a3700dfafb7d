import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import { scopesForRoles } from '../../tokens/scopes.js';

/**
 * `/openapi.json` generated from the route schemas, with an OAuth 2 password flow on
 * `/token`, and Swagger UI at `/docs` served from the package itself (no CDN).
 */
export async function registerOpenApi(app: FastifyInstance, config: Config): Promise<void> {
  // `metrics` is listed even when no role grants it: /metrics asks for it (a client gets it with client_credentials).
  const scopes = Object.fromEntries(
    [...new Set([...scopesForRoles(Object.keys(config.roleScopes), config.roleScopes), 'metrics'])].map((s) => [s, SCOPE_DESCRIPTIONS[s] ?? s]),
  );
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Gatehouse',
        version: '0.1.0',
        description: 'Authentication and authorization server: OAuth 2 token endpoint, JWT access tokens, user API.',
      },
      servers: [{ url: config.issuer }],
      components: {
        securitySchemes: {
          OAuth2PasswordBearer: { type: 'oauth2', flows: { password: { tokenUrl: '/token', scopes } } },
        },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { persistAuthorization: false },
    staticCSP: false,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  me: 'Read and change your own profile',
  admin: 'Administer users, clients and keys',
  metrics: 'Read /metrics (give it to a monitoring client)',
};

import type { FastifyInstance } from 'fastify';
import type { Keyring } from '../../services/keys.js';

export function wellKnownRoutes(app: FastifyInstance, keys: Keyring, issuer: string): void {
  // RFC 7517 §5: public keys only; short caching lets rotations reach verifiers quickly.
  app.get('/.well-known/jwks.json', { schema: { summary: 'JSON Web Key Set', tags: ['oauth2'] } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=60').send(keys.jwks()),
  );
  // RFC 8414 §3: where resource servers find the keys.
  app.get('/.well-known/oauth-authorization-server', { schema: { summary: 'Authorization server metadata', tags: ['oauth2'] } }, async () => ({
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    token_endpoint: `${issuer}/token`,
  }));
}

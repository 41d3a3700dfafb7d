import type { FastifyInstance } from 'fastify';
import type { Keyring } from '../../services/keys.js';
import type { ServerMetadata as Metadata } from '../../services/metadata.js';
import { Jwks, ServerMetadata } from '../schemas/oauth.js';

export function wellKnownRoutes(app: FastifyInstance, keys: Keyring, metadata: Metadata): void {
  // RFC 7517 §5: public keys only; short caching lets rotations reach verifiers quickly.
  app.get(
    '/.well-known/jwks.json',
    { schema: { summary: 'JSON Web Key Set', tags: ['oauth2'], response: { 200: Jwks } } },
    async (_request, reply) => reply.header('cache-control', 'public, max-age=60').send(keys.jwks()),
  );

  // RFC 8414 §3; the same document at the OpenID path, for libraries that only know that one.
  for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(
      url,
      { schema: { summary: 'Authorization server metadata (RFC 8414)', tags: ['oauth2'], response: { 200: ServerMetadata } } },
      async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(metadata),
    );
  }
}

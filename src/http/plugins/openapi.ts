import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import type { Config } from '../../config.js';
import { scopesForRoles } from '../../tokens/scopes.js';

/** Headers of the docs instance's answer that this app sets for its own answer (framing, connection, date). */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'content-length']);

/**
 * `/openapi.json` generated from the route schemas, with an OAuth 2 password flow on
 * `/token`, and Swagger UI at `/docs` served from the package itself (no CDN).
 *
 * Built on first use, not at start-up: loading @fastify/swagger and Swagger UI and
 * registering them costs about a tenth of a second of every cold start, for pages few
 * instances ever serve. The routes are recorded as they are added (as @fastify/swagger
 * itself does); the first request for the document or the UI replays them, with their own
 * schema objects, into a separate instance that is never listened on and that carries the
 * two plugins, and `/docs/*` is answered by injecting into it.
 */
export function registerOpenApi(app: FastifyInstance, config: Config): void {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    // What @fastify/swagger leaves out anyway: the implicit HEAD twins, and hidden routes (the docs' own among them).
    if (route.method !== 'HEAD' && route.schema?.hide !== true) routes.push(route);
  });

  let docs: Promise<FastifyInstance> | undefined;
  const docsApp = (): Promise<FastifyInstance> =>
    (docs ??= buildDocsApp(config, routes).catch((error: unknown) => {
      docs = undefined; // let the next request try again
      throw error;
    }));

  app.get('/openapi.json', { schema: { hide: true } }, async () => (await docsApp()).swagger());

  const base = issuerPath(config.issuer);
  const forward = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    // GET even for HEAD: this app strips the body of its HEAD answers itself.
    const answer = await (await docsApp()).inject({ method: 'GET', url: request.url, headers: request.headers });
    // Paths Swagger UI does not serve get this app's 404, and its other failures (a bad Range,
    // a broken file) this app's error handler, as when the plugin was registered on this app.
    if (answer.statusCode === 404) {
      reply.callNotFound();
      return reply;
    }
    if (answer.statusCode >= 400) {
      const message = `Swagger UI answered ${answer.statusCode} for ${request.url}: ${answer.body.slice(0, 200)}`;
      throw Object.assign(new Error(message), { statusCode: answer.statusCode });
    }
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !NOT_FORWARDED.has(name)) reply.header(name, value);
    }
    // Swagger UI redirects /docs/static/index.html to /docs/: under the issuer's path, as its asset links are.
    const location = answer.headers.location;
    if (typeof location === 'string' && location.startsWith('/') && !location.startsWith('//')) reply.header('location', `${base}${location}`);
    // An empty answer (a redirect) is sent as none, so it gets no content type it did not have.
    return reply.code(answer.statusCode).send(answer.rawPayload.length > 0 ? answer.rawPayload : undefined);
  };
  app.get('/docs', { schema: { hide: true } }, forward);
  app.get('/docs/*', { schema: { hide: true } }, forward);
}

async function buildDocsApp(config: Config, routes: readonly RouteOptions[]): Promise<FastifyInstance> {
  const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([import('@fastify/swagger'), import('@fastify/swagger-ui')]);
  // Unlogged: its failures reach this app's error handler, which logs them. The app's router
  // options, so that /docs and /docs/ resolve there as they would here.
  const docs = Fastify({
    logger: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
  });
  // The replayed routes are never called: their schemas are only read, never compiled.
  docs.setValidatorCompiler(() => () => true);
  docs.setSerializerCompiler(() => (data) => JSON.stringify(data));

  // `metrics` is listed even when no role grants it: /metrics asks for it (a client gets it with client_credentials).
  const scopes = Object.fromEntries(
    [...new Set([...scopesForRoles(Object.keys(config.roleScopes), config.roleScopes), 'metrics'])].map((s) => [s, SCOPE_DESCRIPTIONS[s] ?? s]),
  );
  const base = issuerPath(config.issuer);
  await docs.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Gatehouse',
        version: '0.1.0',
        description: 'Authentication and authorization server: OAuth 2 token endpoint, JWT access tokens, user API.',
      },
      // Relative to the page, not the issuer's origin: the docs then call the origin they were
      // loaded from (the page's CSP allows only that one, and another would need CORS).
      servers: [{ url: base === '' ? '/' : base }],
      components: {
        securitySchemes: {
          // Resolved against the server URL (OpenAPI 3.0, Relative References in URLs), as Swagger UI does: a full path, prefix included.
          OAuth2PasswordBearer: { type: 'oauth2', flows: { password: { tokenUrl: `${base}/token`, scopes } } },
        },
      },
    },
  });
  await docs.register(swaggerUi, {
    routePrefix: '/docs',
    // The page at /docs (no trailing slash) links its assets by full path: behind a proxy's prefix, that prefix too.
    indexPrefix: base,
    uiConfig: { persistAuthorization: false },
    staticCSP: false,
  });
  for (const route of routes) {
    docs.route({
      method: route.method,
      url: route.url,
      schema: route.schema,
      config: route.config,
      constraints: route.constraints,
      handler: notCalled,
    });
  }
  await docs.ready();
  return docs;
}

/** The issuer's path without a trailing slash: '' for `http://127.0.0.1:8000`, '/auth' for `https://example.com/auth`. */
function issuerPath(issuer: string): string {
  return new URL(issuer).pathname.replace(/\/$/, '');
}

async function notCalled(): Promise<never> {
  throw new Error('the docs instance only describes routes');
}

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  me: 'Read and change your own profile',
  admin: 'Administer users, clients and keys',
  metrics: 'Read /metrics (give it to a monitoring client)',
};

import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import { createServices, type Deps, type Services } from '../services/container.js';
import { answerRouterError, registerErrorHandler } from './plugins/errors.js';
import { registerFormParser } from './plugins/form.js';
import { Metrics, registerMetrics } from './plugins/metrics.js';
import { registerOpenApi } from './plugins/openapi.js';
import { serverMetadata } from '../services/metadata.js';
import { adminAuditRoutes } from './routes/admin/audit.js';
import { adminClientRoutes } from './routes/admin/clients.js';
import { adminUserRoutes } from './routes/admin/users.js';
import { plainApiHeaders, registerSecurityHeaders, withApiSecurityHeaders } from './plugins/security-headers.js';
import { serverAnsweringFirst, UsersMeFastPath, type EarlyAnswer } from './fast-path.js';
import { lazyCompilers } from './lazy-schemas.js';
import { lazyRequestLogger } from './request-logger.js';
import { healthRoutes } from './routes/health.js';
import { introspectRoutes } from './routes/introspect.js';
import { metricsRoutes, type MetricsOfCluster } from './routes/metrics.js';
import { revokeRoutes } from './routes/revoke.js';
import { tokenRoutes } from './routes/token.js';
import { userRoutes } from './routes/users.js';
import { wellKnownRoutes } from './routes/well-known.js';

export const BODY_LIMIT = 64 * 1024;

export interface App {
  readonly server: FastifyInstance;
  readonly services: Services;
  readonly metrics: Metrics;
}

export interface AppOptions {
  /** A worker of a cluster: where `/metrics` gets every worker's figures. */
  readonly cluster?: MetricsOfCluster;
}

/** Builds the whole HTTP server from a validated config and its dependencies; listens nowhere. */
export async function buildApp(config: Config, deps: Deps, options: AppOptions = {}): Promise<App> {
  const services = createServices(config, deps);
  const metrics = new Metrics();
  // Fastify logs each request at info: those all go through it.
  const fastPath = deps.log.isLevelEnabled('info')
    ? undefined
    : new UsersMeFastPath(services.bearer, plainApiHeaders(config), metrics.answers('/users/me', 'GET', 200));
  const early: EarlyAnswer = fastPath?.answer ?? (() => false);
  const server: FastifyInstance = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy === false ? false : config.trustProxy === true ? true : [...config.trustProxy],
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    // Paths the router refuses before any route runs: answered like every other error.
    frameworkErrors: (error, _request, reply) => void answerRouterError(error, withApiSecurityHeaders(reply as FastifyReply)),
    // DESIGN: header and body timeouts against slow clients (slowloris). Node checks the
    // deadlines every connectionsCheckingInterval, so that interval must be finer.
    requestTimeout: config.requestTimeout * 1000,
    connectionTimeout: config.requestTimeout * 1000,
    http: {
      headersTimeout: config.requestTimeout * 1000,
      connectionsCheckingInterval: Math.min(30_000, Math.max(250, (config.requestTimeout * 1000) / 4)),
    },
    // validateSchema: checking each route schema against the JSON Schema meta-schema first means
    // compiling that meta-schema, tens of milliseconds of every start; compiling a schema still
    // refuses an unknown keyword, an unknown type or a keyword value of the wrong type.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, validateSchema: false } },
    schemaController: { compilersFactory: lazyCompilers() },
    serverFactory: serverAnsweringFirst(early),
  });
  if (fastPath) server.addHook('preClose', (done) => {
    fastPath.close();
    done();
  });
  server.decorateRequest('principal', null);
  // First: it counts the answers of every route added after it.
  registerMetrics(server, deps.audit, metrics);
  registerErrorHandler(server);
  registerFormParser(server);
  registerSecurityHeaders(server, config);
  registerOpenApi(server, config);

  tokenRoutes(server, services.tokenEndpoint);
  revokeRoutes(server, services.clients, services.revocation);
  introspectRoutes(server, services.clients, services.introspection);
  userRoutes(server, services, config.registration);
  adminUserRoutes(server, services);
  adminClientRoutes(server, services.bearer, services.clients);
  adminAuditRoutes(server, services.bearer, services.audit);
  wellKnownRoutes(server, deps.keys, serverMetadata(config, services.tokenEndpoint.grantTypes));
  healthRoutes(server, deps.store, deps.limits);
  metricsRoutes(server, services.bearer, metrics, options.cluster);
  return { server, services, metrics };
}

import type { FastifyInstance } from 'fastify';
import type { LoginLimiter } from '../../limits/login-limiter.js';
import type { Store } from '../../store/store.js';
import { Unavailable } from '../../errors.js';

/** Ready means logins can be answered: the store and the brute-force counters (Redis, when used) answer. */
export function healthRoutes(app: FastifyInstance, store: Store, limiter: LoginLimiter): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async () => {
    try {
      await store.ping();
    } catch {
      throw new Unavailable('The store is not reachable');
    }
    try {
      await limiter.ready();
    } catch {
      throw new Unavailable('The login counters are not reachable');
    }
    return { status: 'ready' };
  });
}

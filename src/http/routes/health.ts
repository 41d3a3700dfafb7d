import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import { Unavailable } from '../../errors.js';

export function healthRoutes(app: FastifyInstance, store: Store): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async () => {
    try {
      await store.ping();
    } catch {
      throw new Unavailable('The store is not reachable');
    }
    return { status: 'ready' };
  });
}

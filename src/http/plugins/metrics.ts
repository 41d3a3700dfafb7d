import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onResponseHookHandler } from 'fastify';
import type { Audit } from '../../services/audit.js';
import type { AuditEvent } from '../../store/store.js';
import { Counter, renderGauge, type Series } from '../prometheus.js';

const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** The route label of requests no route matched: their paths are the client's choice, so not a label. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** What `/metrics` shows: process gauges, HTTP answers, and auth events as the audit trail records them. */
export class Metrics {
  private readonly http = new Counter('gatehouse_http_requests_total', 'HTTP requests answered, by route pattern, method and status class.', [
    'route',
    'method',
    'status',
  ]);
  private readonly logins = new Counter('gatehouse_logins_total', 'Password logins at /token, by outcome.', ['outcome']);
  private readonly rotations = new Counter('gatehouse_refresh_rotations_total', 'Refresh tokens exchanged for the next of their family.');
  private readonly reuse = new Counter(
    'gatehouse_refresh_reuse_detected_total',
    'Rotated-out refresh tokens presented again; each ended its family (RFC 9700 4.14.2).',
  );
  private readonly revoked = new Counter('gatehouse_tokens_revoked_total', 'Tokens revoked at /revoke (RFC 7009), by type.', ['type']);
  private readonly bySeries: Readonly<Record<string, Series>>;

  constructor() {
    // Every auth series exists from the start at 0, so rate() sees the first event.
    this.bySeries = {
      'login.success': this.logins.series('success'),
      'login.failure': this.logins.series('failure'),
      'login.throttled': this.logins.series('throttled'),
      'refresh.rotated': this.rotations.series(),
      'refresh.reuse_detected': this.reuse.series(),
      'token.revoked:access_token': this.revoked.series('access_token'),
      'token.revoked:refresh_token': this.revoked.series('refresh_token'),
    };
  }

  /** Counts an audit event, if it is one of the counted kinds. */
  count(event: AuditEvent): void {
    const key = event.type === 'token.revoked' ? `token.revoked:${String(event.detail?.['type'])}` : event.type;
    const series = this.bySeries[key];
    if (series) series.value++;
  }

  /**
   * An onResponse hook for one route. Its label set is made on the first answer of each
   * method and status class; after that a request costs one map lookup and an increment.
   */
  counterFor(route: string): onResponseHookHandler {
    const http = this.http;
    const byMethod = new Map<string, Array<Series | undefined>>();
    return function countResponse(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
      let slots = byMethod.get(request.method);
      if (slots === undefined) {
        slots = [];
        byMethod.set(request.method, slots);
      }
      const index = Math.trunc(reply.statusCode / 100);
      const series = (slots[index] ??= http.series(route, request.method, STATUS_CLASSES[index] ?? 'other'));
      series.value++;
      done();
    };
  }

  render(): string {
    const memory = process.memoryUsage();
    return (
      renderGauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.', Math.round(performance.timeOrigin) / 1000) +
      renderGauge('process_uptime_seconds', 'Seconds since the process started.', process.uptime()) +
      renderGauge('process_resident_memory_bytes', 'Resident memory size in bytes.', memory.rss) +
      renderGauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.', memory.heapUsed) +
      this.http.render() +
      this.logins.render() +
      this.rotations.render() +
      this.reuse.render() +
      this.revoked.render()
    );
  }
}

/**
 * Counts every answer by route pattern (`/admin/users/:id`, never the raw path), method
 * and status class, and every counted audit event. Register before any route: the
 * counting hook is attached to each route as it is added.
 */
export function registerMetrics(app: FastifyInstance, audit: Audit): Metrics {
  const metrics = new Metrics();
  audit.onRecord((event) => metrics.count(event));
  app.addHook('onRoute', (route) => {
    const hook = metrics.counterFor(route.url);
    const existing = route.onResponse === undefined ? [] : Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse];
    route.onResponse = [...existing, hook];
  });
  // No route's hook runs for a request no route matched.
  const unmatched = metrics.counterFor(UNMATCHED_ROUTE);
  app.addHook('onResponse', function countUnmatched(request, reply, done) {
    if (request.is404) return unmatched.call(this, request, reply, done);
    done();
  });
  return metrics;
}

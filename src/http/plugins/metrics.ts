import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onResponseHookHandler } from 'fastify';
import type { Audit } from '../../services/audit.js';
import type { AuditEvent } from '../../store/store.js';
import { Counter, renderGauge, type CounterSnapshot, type Series } from '../prometheus.js';

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
    const metrics = this;
    const byMethod = new Map<string, Array<Series | undefined>>();
    return function countResponse(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
      let slots = byMethod.get(request.method);
      if (slots === undefined) {
        slots = [];
        byMethod.set(request.method, slots);
      }
      const series = (slots[Math.trunc(reply.statusCode / 100)] ??= metrics.answers(route, request.method, reply.statusCode));
      series.value++;
      done();
    };
  }

  /** The series counting a route's answers of this method and status (its class): what counterFor's hook adds to. */
  answers(route: string, method: string, statusCode: number): Series {
    return this.http.series(route, method, STATUS_CLASSES[Math.trunc(statusCode / 100)] ?? 'other');
  }

  /** This process's figures, for the worker that answers a scrape of a cluster to add up. */
  snapshot(): MetricsSnapshot {
    const memory = process.memoryUsage();
    return {
      startTime: Math.round(performance.timeOrigin) / 1000,
      uptime: process.uptime(),
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      counters: this.counters().map((counter) => counter.snapshot()),
    };
  }

  /**
   * The exposition. Given the snapshots of every worker of a cluster, counters are their sums,
   * memory the total, start time the earliest and uptime the longest: one scrape answers for
   * the whole server, whichever worker it reaches.
   */
  render(snapshots: readonly MetricsSnapshot[] = [this.snapshot()]): string {
    const sum = (pick: (s: MetricsSnapshot) => number): number => snapshots.reduce((total, s) => total + pick(s), 0);
    const counters = this.counters();
    return (
      renderGauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.', Math.min(...snapshots.map((s) => s.startTime))) +
      renderGauge('process_uptime_seconds', 'Seconds since the process started.', Math.max(...snapshots.map((s) => s.uptime))) +
      renderGauge('process_resident_memory_bytes', 'Resident memory size in bytes (all workers of a cluster).', sum((s) => s.rss)) +
      renderGauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes (all workers of a cluster).', sum((s) => s.heapUsed)) +
      counters.map((counter, i) => counter.render(snapshots.map((s) => s.counters[i] ?? []))).join('')
    );
  }

  private counters(): readonly Counter[] {
    return [this.http, this.logins, this.rotations, this.reuse, this.revoked];
  }
}

/** What one process counted, as the worker that answers a cluster's scrape receives it. */
export interface MetricsSnapshot {
  readonly startTime: number;
  readonly uptime: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly counters: readonly CounterSnapshot[];
}

/**
 * Counts every answer by route pattern (`/admin/users/:id`, never the raw path), method
 * and status class, and every counted audit event. Register before any route: the
 * counting hook is attached to each route as it is added.
 */
export function registerMetrics(app: FastifyInstance, audit: Audit, metrics = new Metrics()): Metrics {
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

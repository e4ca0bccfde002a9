import { performance } from 'node:perf_hooks';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ApiEnv } from './env.js';

export const METRICS_PREFIX = 'atmosphere_';

/** The route label of requests no route matched (the raw path would make label values unbounded). */
export const UNMATCHED_ROUTE = '<unmatched>';

const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
]);

export interface ApiMetricsInit {
  /** Process metrics (CPU, memory, event loop, GC); default true. */
  collectProcessMetrics?: boolean;
}

/**
 * The node's Prometheus metrics, in a registry of its own (never prom-client's global one, so two
 * apps in one process do not share counters). Other components register their metrics on `registry`.
 */
export class ApiMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly uptime: Gauge;

  constructor(components: { uptimeSeconds: () => number }, init: ApiMetricsInit = {}) {
    this.registry = new Registry();
    if (init.collectProcessMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: METRICS_PREFIX });
    }
    this.httpRequests = new Counter({
      name: `${METRICS_PREFIX}http_requests_total`,
      help: 'HTTP requests answered by the local API',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpRequestDuration = new Histogram({
      name: `${METRICS_PREFIX}http_request_duration_seconds`,
      help: 'Time to produce the response (headers) of a local API request',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.uptime = new Gauge({
      name: `${METRICS_PREFIX}node_uptime_seconds`,
      help: 'Seconds since the node started',
      registers: [this.registry],
      collect() {
        this.set(components.uptimeSeconds());
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric in the registry. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Counts and times every request, labelled with the route pattern that answered it. */
  middleware(): MiddlewareHandler<ApiEnv> {
    return async (c, next) => {
      // Durations come from the monotonic high-resolution timer, not the injected Clock: they are
      // measurements of this process, not times anything is decided on, and a wall clock can jump.
      const started = performance.now();
      await next();
      const route = c.get('unmatched') === true ? UNMATCHED_ROUTE : routePath(c) || UNMATCHED_ROUTE;
      const method = KNOWN_METHODS.has(c.req.method) ? c.req.method : 'OTHER';
      const labels = { method, route, status: String(c.res.status) };
      this.httpRequests.inc(labels);
      this.httpRequestDuration.observe(labels, (performance.now() - started) / 1000);
    };
  }
}

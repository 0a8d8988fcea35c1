/**
 * Prometheus metrics of the API (prom-client): the process' default metrics plus a request counter
 * and a duration histogram by verb, resource and code. Safe to call with a registry the hub already
 * filled: existing metrics are reused, never registered twice.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  observe(labels: { verb: string; resource: string; code: number }, seconds: number): void;
  /** A watch stream opened (+1) or ended (-1). */
  watchOpen(delta: 1 | -1): void;
  /** A watch client fell too far behind and was cut off. */
  watchCutOff(): void;
  /** Where drover_api_inflight_requests reads the requests in flight (flow control's count). */
  readInflightFrom(count: () => number): void;
}

function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function createApiMetrics(registry: Registry = new Registry()): ApiMetrics {
  if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry });
  const requests =
    (registry.getSingleMetric('drover_api_requests_total') as Counter<'verb' | 'resource' | 'code'> | undefined) ??
    new Counter({
      name: 'drover_api_requests_total',
      help: 'HTTP API requests by verb, resource and response code',
      labelNames: ['verb', 'resource', 'code'] as const,
      registers: [registry],
    });
  const durations =
    (registry.getSingleMetric('drover_api_request_duration_seconds') as Histogram<'verb' | 'resource'> | undefined) ??
    new Histogram({
      name: 'drover_api_request_duration_seconds',
      help: 'HTTP API request latency (watch streams excluded) by verb and resource',
      labelNames: ['verb', 'resource'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  const watches = reuse(registry, 'drover_api_watches', () =>
    new Gauge({ name: 'drover_api_watches', help: 'Watch streams open now', registers: [registry] }));
  const cutOffs = reuse(registry, 'drover_api_watch_cutoffs_total', () =>
    new Counter({ name: 'drover_api_watch_cutoffs_total', help: 'Watch clients cut off for falling too far behind', registers: [registry] }));
  let inflightCount: () => number = () => 0;
  reuse(registry, 'drover_api_inflight_requests', () =>
    new Gauge({
      name: 'drover_api_inflight_requests',
      help: 'API requests being served now (watches aside)',
      registers: [registry],
      collect() {
        this.set(inflightCount());
      },
    }));
  return {
    registry,
    readInflightFrom: (count) => {
      inflightCount = count;
    },
    watchOpen: (delta) => watches.inc(delta),
    watchCutOff: () => cutOffs.inc(),
    observe({ verb, resource, code }, seconds) {
      requests.inc({ verb, resource, code: String(code) });
      if (verb !== 'watch') durations.observe({ verb, resource }, seconds);
    },
  };
}

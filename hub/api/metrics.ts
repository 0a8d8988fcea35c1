/**
 * Prometheus metrics of the API (prom-client): the process' default metrics plus a request counter
 * and a duration histogram by verb, resource and code. Safe to call with a registry the hub already
 * filled: existing metrics are reused, never registered twice.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  observe(labels: { verb: string; resource: string; code: number }, seconds: number): void;
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
  return {
    registry,
    observe({ verb, resource, code }, seconds) {
      requests.inc({ verb, resource, code: String(code) });
      if (verb !== 'watch') durations.observe({ verb, resource }, seconds);
    },
  };
}

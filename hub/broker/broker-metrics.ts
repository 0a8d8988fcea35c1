/**
 * The broker's counters (prom-client), registered in the hub's registry when one is given (it is
 * served on /metrics). Labels are reasons, never node names: the log line of each event names the
 * client.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** Why a PUBLISH was refused (the client is disconnected). */
export type PublishRefusal = 'unauthenticated' | 'acl' | 'too-large' | 'retained' | 'qos';
/** Which of a client's publish quotas a dropped message was over. */
export type QuotaLimit = 'messages' | 'bytes' | 'heartbeats' | 'stream-messages' | 'stream-bytes';

export interface BrokerMetrics {
  loginFailure(heldBack: boolean): void;
  publishRefused(reason: PublishRefusal): void;
  quotaDropped(limit: QuotaLimit): void;
  quotaDisconnected(limit: QuotaLimit): void;
  slowClientDisconnected(): void;
}

/** What the broker holds retained. */
export interface RetainedStats {
  messages: number;
  bytes: number;
}

/** Gauges of what the broker holds retained, read from `stats` at every scrape. */
export function registerRetainedGauges(registry: Registry | undefined, stats: () => Promise<RetainedStats>): void {
  if (!registry || registry.getSingleMetric('drover_mqtt_retained_messages')) return;
  let last: Promise<RetainedStats> | undefined;
  // one walk of the retained store serves both gauges of a scrape
  const read = (): Promise<RetainedStats> => (last ??= stats().finally(() => setImmediate(() => (last = undefined))));
  new Gauge({
    name: 'drover_mqtt_retained_messages',
    help: 'Messages the MQTT broker holds retained (desired and network sets, node presence)',
    registers: [registry],
    async collect() {
      this.set((await read()).messages);
    },
  });
  new Gauge({
    name: 'drover_mqtt_retained_bytes',
    help: 'Payload bytes the MQTT broker holds retained',
    registers: [registry],
    async collect() {
      this.set((await read()).bytes);
    },
  });
}

function counter<L extends string>(registry: Registry | undefined, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  const existing = registry?.getSingleMetric(name) as Counter<L> | undefined;
  return existing ?? new Counter({ name, help, labelNames, registers: registry ? [registry] : [] });
}

export function createBrokerMetrics(registry?: Registry): BrokerMetrics {
  const logins = counter(registry, 'drover_mqtt_login_failures_total', 'Failed MQTT logins; held_back="true" when the refusal was answered late (auth-throttle)', ['held_back']);
  const refused = counter(registry, 'drover_mqtt_publishes_refused_total', 'MQTT publishes refused (the client is disconnected), by reason', ['reason']);
  const dropped = counter(registry, 'drover_mqtt_quota_dropped_total', 'MQTT messages dropped because their client was over a publish quota, by quota', ['limit']);
  const quotaDisconnects = counter(registry, 'drover_mqtt_quota_disconnects_total', 'MQTT clients disconnected for staying over a publish quota', ['limit']);
  const slow = counter(registry, 'drover_mqtt_slow_client_disconnects_total', 'MQTT clients disconnected for not reading what they were sent (too many bytes waiting in their socket)', []);
  return {
    loginFailure: (heldBack) => logins.inc({ held_back: String(heldBack) }),
    publishRefused: (reason) => refused.inc({ reason }),
    quotaDropped: (limit) => dropped.inc({ limit }),
    quotaDisconnected: (limit) => quotaDisconnects.inc({ limit }),
    slowClientDisconnected: () => slow.inc(),
  };
}

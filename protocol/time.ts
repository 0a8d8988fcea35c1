/** Timestamps as Kubernetes writes them (RFC 3339, UTC). The one formatter for both hub and agent. */

/** Whole seconds, as Kubernetes writes event times, deletionTimestamp and workload conditions: "2026-11-24T01:30:00Z". */
export function kubeTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** With milliseconds, for message envelopes, event times and anything compared at sub-second scale: "2026-11-24T01:30:00.123Z". */
export function preciseTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

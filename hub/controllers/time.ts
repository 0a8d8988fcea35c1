/** A Kubernetes timestamp (RFC 3339, whole seconds, UTC: "2026-11-24T01:30:00Z") from epoch milliseconds. */
export function kubeTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

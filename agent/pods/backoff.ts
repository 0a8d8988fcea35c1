/**
 * The kubelet's back-off for restarting crashed containers and retrying image pulls: 10 s, doubling
 * up to 5 min; a container that ran for 10 min before it exited starts again from 10 s.
 */
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 5 * 60_000;
export const BACKOFF_RESET_AFTER_MS = 10 * 60_000;

/** The delay after `previousMs` (0 = no failure yet). */
export function nextBackoff(previousMs: number): number {
  return previousMs <= 0 ? BACKOFF_INITIAL_MS : Math.min(previousMs * 2, BACKOFF_MAX_MS);
}

/** The delay to apply after a container exited, given how long it had been running. */
export function backoffAfterExit(previousMs: number, ranForMs: number | undefined): number {
  if (ranForMs !== undefined && ranForMs >= BACKOFF_RESET_AFTER_MS) return BACKOFF_INITIAL_MS;
  return nextBackoff(previousMs);
}

/** "10s", "2m40s", as the kubelet writes durations in its messages. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m}m${s % 60}s` : `${m}m0s`;
}

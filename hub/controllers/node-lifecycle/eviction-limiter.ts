/**
 * How fast pods may be evicted from not-ready/unreachable nodes, as Kubernetes' node lifecycle
 * controller decides it (`--node-eviction-rate`, `--secondary-node-eviction-rate`,
 * `--unhealthy-zone-threshold`, `--large-cluster-size-threshold`), for the fleet as one zone:
 *
 * - normal: nodes are admitted to eviction at `evictionRate` nodes a second (a token bucket holding
 *   one second's worth, at least one), so killing half a fleet reschedules its pods at that rate,
 *   not all at once;
 * - partial disruption (more than 2 nodes and at least `unhealthyThreshold`, 55 %, not Ready: after
 *   a hub restart, a network cut): `secondaryEvictionRate` in a fleet of more than
 *   `largeClusterThreshold` (50) nodes, none in a smaller one;
 * - full disruption (no node Ready): none (the hub is more likely cut off than every node dead).
 *
 * A node admitted stays admitted until it is healthy again (controller.ts): all of its pods go, at
 * their own tolerationSeconds. Only the not-ready/unreachable taints are limited; a NoExecute taint a
 * user adds evicts at once.
 */
export const DEFAULT_NODE_EVICTION_RATE = 10;
export const DEFAULT_SECONDARY_NODE_EVICTION_RATE = 1;
export const DEFAULT_UNHEALTHY_THRESHOLD = 0.55;
export const DEFAULT_LARGE_CLUSTER_THRESHOLD = 50;
/** With eviction stopped, ask again this often. */
export const STOPPED_RECHECK_MS = 5_000;

export type DisruptionState = 'normal' | 'partial' | 'full';

export interface EvictionLimiterOptions {
  clock: () => number;
  /** Nodes a second admitted to eviction normally (10). */
  evictionRate?: number;
  /** Nodes a second under partial disruption in a large fleet (1). */
  secondaryEvictionRate?: number;
  /** Fraction of nodes not Ready from which the fleet is partially disrupted (0.55). */
  unhealthyThreshold?: number;
  /** A fleet of at most this many nodes evicts nothing under partial disruption (50). */
  largeClusterThreshold?: number;
}

export interface FleetReadiness {
  ready: number;
  notReady: number;
}

export interface EvictionLimiter {
  state(fleet: FleetReadiness): DisruptionState;
  /** Nodes a second admitted in this state of the fleet. */
  rate(fleet: FleetReadiness): number;
  /** Admit one node to eviction: 0 when admitted now, otherwise how many ms to wait before asking again. */
  admit(fleet: FleetReadiness): number;
}

export function disruptionState(fleet: FleetReadiness, unhealthyThreshold = DEFAULT_UNHEALTHY_THRESHOLD): DisruptionState {
  if (fleet.ready === 0 && fleet.notReady > 0) return 'full';
  if (fleet.notReady > 2 && fleet.notReady / (fleet.ready + fleet.notReady) >= unhealthyThreshold) return 'partial';
  return 'normal';
}

export function createEvictionLimiter(opts: EvictionLimiterOptions): EvictionLimiter {
  const primary = opts.evictionRate ?? DEFAULT_NODE_EVICTION_RATE;
  const secondary = opts.secondaryEvictionRate ?? DEFAULT_SECONDARY_NODE_EVICTION_RATE;
  const threshold = opts.unhealthyThreshold ?? DEFAULT_UNHEALTHY_THRESHOLD;
  const large = opts.largeClusterThreshold ?? DEFAULT_LARGE_CLUSTER_THRESHOLD;
  let bucket: { rate: number; tokens: number; at: number } | undefined;

  const state = (fleet: FleetReadiness) => disruptionState(fleet, threshold);
  function rate(fleet: FleetReadiness): number {
    switch (state(fleet)) {
      case 'full':
        return 0;
      case 'partial':
        return fleet.ready + fleet.notReady > large ? secondary : 0;
      default:
        return primary;
    }
  }

  return {
    state,
    rate,
    admit(fleet) {
      const r = rate(fleet);
      if (r <= 0) return STOPPED_RECHECK_MS;
      const now = opts.clock();
      const burst = Math.max(1, r);
      // a new rate is a new bucket, full (Kubernetes swaps its limiter the same way)
      if (!bucket || bucket.rate !== r) bucket = { rate: r, tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * r);
      bucket.at = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil(((1 - bucket.tokens) / r) * 1000));
    },
  };
}

/**
 * The arithmetic of a Deployment rollout, pure (Kubernetes' deployment/util and rolling.go): how far
 * the new ReplicaSet may scale up and the old ones down without breaking maxSurge / maxUnavailable.
 *
 * Each ReplicaSet is seen through `RolloutReplicaSet`: its spec.replicas, how many active pods it has
 * (not terminating, not finished) and how many of them are available. Two choices make the bounds hold
 * at every instant rather than only once the ReplicaSet controller has caught up:
 * - a ReplicaSet counts max(spec.replicas, active pods) toward the total (pods over spec are still
 *   running until the ReplicaSet controller deletes them);
 * - a ReplicaSet counts min(available pods, spec.replicas) toward availability (when it scales down it
 *   deletes unavailable pods first, so that many available ones survive).
 */
import type { Deployment } from '../../protocol/index.js';
import { scaledValue } from './int-or-percent.js';

export interface RolloutReplicaSet {
  name: string;
  /** spec.replicas */
  replicas: number;
  activePods: number;
  availablePods: number;
  /** deployment.kubernetes.io/revision */
  revision: number;
  creationTimestamp: string;
}

export interface Fenceposts {
  maxSurge: number;
  maxUnavailable: number;
}

/**
 * maxSurge (rounded up) and maxUnavailable (rounded down) as numbers of pods, defaults 25%/25%; both 0
 * would deadlock, so maxUnavailable becomes 1 (Kubernetes' ResolveFenceposts).
 */
export function resolveFenceposts(d: Deployment): Fenceposts {
  const replicas = d.spec.replicas ?? 1;
  const rolling = d.spec.strategy?.rollingUpdate;
  const maxSurge = scaledValue(rolling?.maxSurge, replicas, true, '25%');
  let maxUnavailable = scaledValue(rolling?.maxUnavailable, replicas, false, '25%');
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

export const countedPods = (rs: RolloutReplicaSet): number => Math.max(rs.replicas, rs.activePods);
export const countedAvailable = (rs: RolloutReplicaSet): number => Math.min(rs.availablePods, rs.replicas);

/** Oldest first (creation time, then name), the order old ReplicaSets are scaled down in. */
export function byAge(a: RolloutReplicaSet, b: RolloutReplicaSet): number {
  if (a.creationTimestamp !== b.creationTimestamp) return a.creationTimestamp < b.creationTimestamp ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Kubernetes' NewRSNewReplicas for RollingUpdate: the new ReplicaSet's size for this step. */
export function newReplicaSetTarget(replicas: number, fence: Fenceposts, all: readonly RolloutReplicaSet[], newRs: RolloutReplicaSet): number {
  if (newRs.replicas >= replicas) return replicas;
  const current = all.reduce((n, rs) => n + countedPods(rs), 0);
  const maxTotal = replicas + fence.maxSurge;
  if (current >= maxTotal) return newRs.replicas;
  return newRs.replicas + Math.min(maxTotal - current, replicas - newRs.replicas);
}

/**
 * Kubernetes' reconcileOldReplicaSets: the new spec.replicas of each old ReplicaSet that shrinks
 * this step. First the unhealthy part of old ReplicaSets goes (their pods are unavailable anyway),
 * then available pods, oldest ReplicaSet first, as far as minAvailable allows.
 */
export function oldReplicaSetTargets(
  replicas: number,
  fence: Fenceposts,
  olds: readonly RolloutReplicaSet[],
  newRs: RolloutReplicaSet,
): Map<string, number> {
  const targets = new Map<string, number>();
  const oldPods = olds.reduce((n, rs) => n + rs.replicas, 0);
  if (oldPods === 0) return targets;
  const minAvailable = replicas - fence.maxUnavailable;
  const allPods = olds.reduce((n, rs) => n + rs.replicas, 0) + newRs.replicas;
  const newUnavailable = Math.max(0, newRs.replicas - countedAvailable(newRs));
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return targets;

  const sorted = [...olds].sort(byAge).map((rs) => ({ ...rs }));
  let cleaned = 0;
  for (const rs of sorted) {
    if (cleaned >= maxScaledDown) break;
    const unhealthy = rs.replicas - countedAvailable(rs);
    if (rs.replicas === 0 || unhealthy <= 0) continue;
    const down = Math.min(maxScaledDown - cleaned, unhealthy);
    rs.replicas -= down;
    cleaned += down;
    targets.set(rs.name, rs.replicas);
  }

  const available = sorted.reduce((n, rs) => n + countedAvailable(rs), 0) + countedAvailable(newRs);
  if (available <= minAvailable) return targets;
  const budget = available - minAvailable;
  let done = 0;
  for (const rs of sorted) {
    if (done >= budget) break;
    if (rs.replicas === 0) continue;
    const down = Math.min(rs.replicas, budget - done);
    rs.replicas -= down;
    done += down;
    targets.set(rs.name, rs.replicas);
  }
  return targets;
}

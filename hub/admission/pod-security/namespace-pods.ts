/**
 * When a Namespace's enforce level gets stricter, Kubernetes dry-runs its existing pods against the
 * new level and warns (it changes nothing: running pods keep running). Pods are checked one per
 * controller first, at most 3000; pods with the same reasons are reported together under the
 * alphabetically first name: `web-abc (and 2 other pods): hostPath volumes`.
 */
import type { Pod } from '../../../protocol/objects/pod.js';
import { forbiddenReasons } from './check.js';
import { evaluatePod } from './evaluator.js';
import { formatLevelVersion, type LevelVersion } from '../../../protocol/pod-security.js';

export const MAX_PODS_TO_CHECK = 3000;

/** One pod per controller first, then the rest (Kubernetes' prioritizePods). */
function prioritized(pods: readonly Pod[]): Pod[] {
  const first: Pod[] = [];
  const rest: Pod[] = [];
  const seen = new Set<string>();
  for (const pod of pods) {
    const owner = pod.metadata.ownerReferences?.find((r) => r.controller)?.uid;
    if (owner === undefined || !seen.has(owner)) {
      if (owner !== undefined) seen.add(owner);
      first.push(pod);
    } else rest.push(pod);
  }
  return [...first, ...rest];
}

export function existingPodWarnings(namespace: string, pods: readonly Pod[], enforce: LevelVersion): string[] {
  const ordered = prioritized(pods);
  const checked = ordered.slice(0, MAX_PODS_TO_CHECK);
  const byReasons = new Map<string, { first: string; count: number }>();
  for (const pod of checked) {
    const verdict = evaluatePod(enforce.level, pod.spec);
    if (verdict.allowed) continue;
    const reasons = forbiddenReasons(verdict);
    const entry = byReasons.get(reasons);
    if (!entry) byReasons.set(reasons, { first: pod.metadata.name, count: 1 });
    else {
      entry.count++;
      if (pod.metadata.name < entry.first) entry.first = pod.metadata.name;
    }
  }
  const warnings: string[] = [];
  if (checked.length < ordered.length) {
    warnings.push(`new PodSecurity enforce level only checked against the first ${checked.length} of ${ordered.length} existing pods`);
  }
  if (byReasons.size > 0) {
    warnings.push(`existing pods in namespace "${namespace}" violate the new PodSecurity enforce level "${formatLevelVersion(enforce)}"`);
  }
  const perPod = [...byReasons].map(([reasons, { first, count }]) => {
    if (count === 1) return `${first}: ${reasons}`;
    return `${first} (and ${count - 1} other ${count === 2 ? 'pod' : 'pods'}): ${reasons}`;
  });
  return [...warnings, ...perPod.sort()];
}

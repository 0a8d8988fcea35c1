/**
 * The status of a PodDisruptionBudget, as Kubernetes' disruption controller writes it, computed when the
 * budget is read (GET and LIST) from the informer cache's pods: expectedPods, currentHealthy, desiredHealthy,
 * disruptionsAllowed and the DisruptionAllowed condition (SufficientPods / InsufficientPods). So
 * `kubectl get pdb` shows ALLOWED DISRUPTIONS and `kubectl describe pdb` the counts; evictions count the
 * same way at the moment they are decided (eviction.ts). Watches carry the budget as stored.
 */
import type { KubeObject } from '../../protocol/objects/meta.js';
import type { Pod } from '../../protocol/objects/pod.js';
import type { PodDisruptionBudget } from '../../protocol/objects/pod-disruption-budget.js';
import type { ApiDeps } from './context.js';
import { countBudget } from './eviction.js';

export function withDisruptionStatus(deps: ApiDeps, obj: KubeObject): KubeObject {
  if (obj.kind !== 'PodDisruptionBudget') return obj;
  const pdb = obj as PodDisruptionBudget;
  const pods = deps.cache.kind('Pod').list({ namespace: pdb.metadata.namespace ?? '' }) as unknown as readonly Pod[];
  const count = countBudget(pdb, pods);
  const disruptionsAllowed = Math.max(0, count.currentHealthy - count.desiredHealthy);
  return {
    ...pdb,
    status: {
      ...(pdb.metadata.generation !== undefined ? { observedGeneration: pdb.metadata.generation } : {}),
      disruptionsAllowed,
      currentHealthy: count.currentHealthy,
      desiredHealthy: count.desiredHealthy,
      expectedPods: count.expected,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: disruptionsAllowed > 0 ? 'True' : 'False',
          reason: disruptionsAllowed > 0 ? 'SufficientPods' : 'InsufficientPods',
          message: '',
        },
      ],
    },
  };
}

/**
 * The ReplicaSet controller: keeps spec.replicas active Pods owned by each ReplicaSet (controller
 * ownerReference), creating them from spec.template as `<rs>-<5 random>` and deleting the surplus
 * (unscheduled, then not ready, then the newest first) by the graceful pod-deletion rule. Terminating
 * and finished pods do not count, so they are replaced. Writes status.replicas, readyReplicas,
 * availableReplicas (ready for minReadySeconds), fullyLabeledReplicas and observedGeneration.
 */
import { isDeepStrictEqual } from 'node:util';
import { matchesSelector, type Pod, type ReplicaSet } from '../../protocol/index.js';
import { updateWithRetry } from '../store/update-with-retry.js';
import type { Controller, ControllerOptions } from './controller.js';
import type { InvolvedObject } from '../events/recorder.js';
import { deletePodGracefully } from '../registry/pod-deletion.js';
import { admitComponentPod, createPodSecurityAdmission, type PodSecurityAdmission } from '../admission/pod-security/admission.js';
import { compareForDeletion, countPods, isPodActive, type PodCounts } from './pod-state.js';
import { isControlledBy } from '../../protocol/workload-helpers.js';
import { controllerKey, podFromTemplate } from './pod-template.js';
import { createReconcileLoop, loopController, objectKey, splitObjectKey } from './reconcile-loop.js';
import { slowStartBatch } from './slow-start.js';

export const REPLICASET_CONTROLLER = 'replicaset-controller';

/** Options every workload controller takes beyond ControllerOptions. */
export interface WorkloadControllerOptions extends ControllerOptions {
  /** How often every object is reconciled again even without an event (default 10 s). */
  resyncMs?: number;
  /** Most pods one reconcile creates or deletes (Kubernetes' burstReplicas, 500); the rest follow at once. */
  burstReplicas?: number;
  /**
   * ReplicaSets, Deployments and DaemonSets (whose reconcile reads every pod they own, or every node)
   * reconcile one object at most this often (default 0; the hub uses 250 ms).
   */
  minReconcileIntervalMs?: number;
  /** Pod Security admission for the pods they create (default: the default policy over the cache; the hub passes its own). */
  podSecurity?: PodSecurityAdmission;
}

export const DEFAULT_BURST_REPLICAS = 500;

export function involvedObjectOf(obj: { apiVersion: string; kind: string; metadata: { namespace?: string; name: string; uid?: string; resourceVersion?: string } }): InvolvedObject {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? 'default',
    name: obj.metadata.name,
    ...(obj.metadata.uid !== undefined ? { uid: obj.metadata.uid } : {}),
    ...(obj.metadata.resourceVersion !== undefined ? { resourceVersion: obj.metadata.resourceVersion } : {}),
  };
}

type ReplicaSetStatus = NonNullable<ReplicaSet['status']>;

/** The status of `rs` given its active pods (and their counts, when the caller has them already). */
export function replicaSetStatus(rs: ReplicaSet, active: readonly Pod[], now: number, counts?: PodCounts): ReplicaSetStatus {
  const { ready, available } = counts ?? countPods(active, rs.spec.minReadySeconds ?? 0, now);
  const selector = { matchLabels: rs.spec.template.metadata?.labels ?? {} };
  let fullyLabeled = 0;
  for (const pod of active) if (matchesSelector(pod.metadata.labels, selector)) fullyLabeled++;
  return {
    replicas: active.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata.generation ?? 1,
  };
}

export async function createReplicaSetController(opts: WorkloadControllerOptions): Promise<Controller> {
  const { store, cache, clock, events } = opts;
  const logger = opts.logger.child({ controller: 'replicaset' });
  const source = { component: REPLICASET_CONTROLLER };
  const burstReplicas = opts.burstReplicas ?? DEFAULT_BURST_REPLICAS;
  const podSecurity = opts.podSecurity ?? createPodSecurityAdmission({ cache });

  /**
   * ReplicaSet uid -> where its next slow start begins: the batch size its creates had reached, for the
   * generation they were made from. Kept while one scale-up's creates succeed; dropped at the first failure
   * (the next attempt starts again at one pod), once the ReplicaSet has its pods, at a new generation (a new
   * template) and when the ReplicaSet goes.
   */
  const slowStart = new Map<string, { generation: number; nextBatch: number }>();

  async function createPods(rs: ReplicaSet, count: number): Promise<Pod[]> {
    const namespace = rs.metadata.namespace ?? 'default';
    const uid = rs.metadata.uid ?? '';
    const generation = rs.metadata.generation ?? 1;
    const resumed = slowStart.get(uid);
    const firstBatch = resumed?.generation === generation ? resumed.nextBatch : 1;
    slowStart.delete(uid);
    // Kubernetes' slowStartBatch: 1, 2, 4, ... creates at once, so a template that fails costs one
    // failed create, not `count`; the store commits each batch in one transaction. A ReplicaSet whose
    // creates succeeded resumes at the size it had reached (bursts of burstReplicas, one transaction each).
    const { done, nextBatch } = await slowStartBatch(count, burstReplicas, async () => {
      try {
        const fresh = podFromTemplate(rs.spec.template, { base: rs.metadata.name, namespace, owner: rs });
        admitComponentPod(podSecurity, REPLICASET_CONTROLLER, fresh);
        const pod = await store.create<Pod>(fresh);
        logger.debug({ replicaset: objectKey(rs), pod: pod.metadata.name }, 'created pod');
        void events.record(involvedObjectOf(rs), 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, source);
        return pod;
      } catch (err) {
        void events.record(involvedObjectOf(rs), 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`, source);
        throw err;
      }
    }, firstBatch);
    slowStart.set(uid, { generation, nextBatch });
    return done;
  }

  async function deletePods(rs: ReplicaSet, pods: readonly Pod[]): Promise<void> {
    await Promise.all(
      pods.map(async (pod) => {
        const key = { kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name };
        const deleted = await deletePodGracefully(store, key, { clock, uid: pod.metadata.uid });
        if (!deleted) return;
        logger.debug({ replicaset: objectKey(rs), pod: pod.metadata.name }, 'deleted pod');
        void events.record(involvedObjectOf(rs), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, source);
      }),
    );
  }

  async function reconcile(key: string): Promise<void> {
    const { namespace, name } = splitObjectKey(key);
    const rs = await store.get<ReplicaSet>({ kind: 'ReplicaSet', namespace, name });
    if (!rs || rs.metadata.deletionTimestamp) return;
    const pods = cache.kind<Pod>('Pod').ownedBy(rs.metadata.uid ?? '').filter((p) => isControlledBy(p, rs));
    let active = pods.filter(isPodActive);
    const want = rs.spec.replicas ?? 1;
    if (active.length < want) {
      const missing = want - active.length;
      active = [...active, ...(await createPods(rs, Math.min(missing, burstReplicas)))];
      // at most burstReplicas per reconcile (Kubernetes' burstReplicas): the rest in the next one, at once
      // (not after the minimum interval: the creates are in the cache already, so it counts them)
      if (missing > burstReplicas) loop.continueNow(key);
    } else {
      // the scale-up is over: a later one starts its slow start at one pod again
      slowStart.delete(rs.metadata.uid ?? '');
    }
    if (active.length > want) {
      const doomed = [...active].sort(compareForDeletion).slice(0, Math.min(active.length - want, burstReplicas));
      if (active.length - want > burstReplicas) loop.continueNow(key);
      await deletePods(rs, doomed);
      const gone = new Set(doomed);
      active = active.filter((p) => !gone.has(p));
    }
    const now = clock();
    const counts = countPods(active, rs.spec.minReadySeconds ?? 0, now);
    const status = replicaSetStatus(rs, active, now, counts);
    const result = await updateWithRetry<ReplicaSet>(store, { kind: 'ReplicaSet', namespace, name }, (current) => {
      if (current.metadata.uid !== rs.metadata.uid || isDeepStrictEqual(current.status, status)) return undefined;
      return { ...current, status };
    });
    if (result.outcome === 'updated') logger.debug({ replicaset: key, status }, 'status updated');
    // Pods ready but not yet available: look again when the first of them is.
    if (counts.nextAvailableInMs !== undefined) loop.requeueAfter(key, counts.nextAvailableInMs + 10);
  }

  const loop = createReconcileLoop({
    name: REPLICASET_CONTROLLER,
    logger,
    reconcile,
    resyncMs: opts.resyncMs,
    // every pod event of a ReplicaSet queues it, and its reconcile counts all of its pods: at most one
    // reconcile per ReplicaSet per interval, however many of its pods change
    ...(opts.minReconcileIntervalMs !== undefined ? { minIntervalMs: opts.minReconcileIntervalMs } : {}),
    listKeys: async () => cache.kind<ReplicaSet>('ReplicaSet').list().map(objectKey),
  });

  return loopController(loop, logger, () => [
    cache.kind('ReplicaSet').subscribe((e) => {
      if (e.type !== 'DELETED') loop.enqueue(objectKey(e.object));
      else slowStart.delete(e.object.metadata.uid ?? '');
    }),
    cache.kind('Pod').subscribe((e) => {
      const owner = controllerKey(e.object, 'ReplicaSet');
      if (owner !== undefined) loop.enqueue(owner);
    }),
  ]);
}

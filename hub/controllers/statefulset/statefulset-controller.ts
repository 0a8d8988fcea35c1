/**
 * The StatefulSet controller, as Kubernetes' (pkg/controller/statefulset/stateful_set_control.go):
 * pods `<set>-<ordinal>` for ordinals [start, start + replicas), each with its claims
 * (`<template>-<set>-<ordinal>`, claims.ts) made before it, its hostname and the set's serviceName as
 * subdomain (identity.ts), and the controller-revision-hash of the ControllerRevision it runs
 * (../controller-revisions.ts).
 *
 * OrderedReady (the default): one step at a time. Ordinals are created lowest first, each only once
 * every lower one is Running and Ready (and available for minReadySeconds); a terminating or unhealthy
 * pod blocks everything above it; scale-down deletes the highest ordinal first, one at a time, each once
 * it is gone and the rest are healthy. Parallel: every missing pod is created and every surplus pod
 * deleted at once, without waiting.
 *
 * Updates: RollingUpdate deletes the highest ordinal that runs an old revision and waits for its
 * replacement to be healthy before the next, down to `partition` (ordinals below it keep the current
 * revision, also when they are recreated); with maxUnavailable, that many at once. OnDelete replaces a
 * pod only when someone deletes it. A Failed or Succeeded pod is deleted and made again.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Pod } from '../../../protocol/index.js';
import type { StatefulSet } from '../../../protocol/objects/stateful-set.js';
import { isControlledBy, templateOfRevision } from '../../../protocol/workload-helpers.js';
import { admitComponentPod, createPodSecurityAdmission } from '../../admission/pod-security/admission.js';
import { deletePodGracefully } from '../../registry/pod-deletion.js';
import { AlreadyExistsError } from '../../store/errors.js';
import { updateWithRetry } from '../../store/update-with-retry.js';
import type { Controller } from '../controller.js';
import { scaledValue } from '../int-or-percent.js';
import { isPodAvailable, isPodReady, msUntilAvailable } from '../pod-state.js';
import { controllerKey } from '../pod-template.js';
import { createReconcileLoop, loopController, objectKey, splitObjectKey } from '../reconcile-loop.js';
import { involvedObjectOf, type WorkloadControllerOptions } from '../replicaset.js';
import { deleteScaledClaims, ensureClaims } from './claims.js';
import { ordinalOf, podName, revisionOfPod, startOrdinal, statefulPod } from './identity.js';
import { syncRevisions, truncateHistory, type SetRevisions } from '../controller-revisions.js';

export const STATEFULSET_CONTROLLER = 'statefulset-controller';

type StatefulSetStatus = NonNullable<StatefulSet['status']>;

const isTerminating = (pod: Pod): boolean => pod.metadata.deletionTimestamp !== undefined;
const isFinished = (pod: Pod): boolean => pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
const isRunningAndReady = (pod: Pod): boolean => pod.status?.phase === 'Running' && isPodReady(pod);

/** What one reconcile decided and saw, for the status it writes. */
interface Pass {
  set: StatefulSet;
  revs: SetRevisions;
  /** ordinal -> the pod there now (after this pass's creates and deletes). */
  pods: Map<number, Pod>;
  now: number;
}

export async function createStatefulSetController(opts: WorkloadControllerOptions): Promise<Controller> {
  const { store, cache, clock, events } = opts;
  const logger = opts.logger.child({ controller: 'statefulset' });
  const source = { component: STATEFULSET_CONTROLLER };
  const podSecurity = opts.podSecurity ?? createPodSecurityAdmission({ cache });

  async function createPod(pass: Pass, ordinal: number): Promise<void> {
    const { set, revs } = pass;
    const name = podName(set, ordinal);
    const partition = set.spec.updateStrategy?.rollingUpdate?.partition;
    const rolling = (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    // Kubernetes' newVersionedStatefulSetPod: below the partition (or, without one, below the current replicas) the current revision
    const currentReplicas = set.status?.currentReplicas ?? 0;
    const useCurrent = rolling && ordinal < startOrdinal(set) + (partition !== undefined ? partition : currentReplicas) && revs.current !== revs.update;
    const revision = useCurrent ? revs.current : revs.update;
    try {
      const claims = await ensureClaims(store, cache, set, ordinal);
      for (const claim of claims.created) {
        void events.record(involvedObjectOf(set), 'Normal', 'SuccessfulCreate', `create Claim ${claim} Pod ${name} in StatefulSet ${set.metadata.name} success`, source);
      }
      const fresh = statefulPod(set, templateOfRevision(revision), ordinal, revision.metadata.name);
      admitComponentPod(podSecurity, STATEFULSET_CONTROLLER, fresh);
      const pod = await store.create<Pod>(fresh);
      pass.pods.set(ordinal, pod);
      logger.debug({ statefulset: objectKey(set), pod: name, revision: revision.metadata.name }, 'created pod');
      void events.record(involvedObjectOf(set), 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${set.metadata.name} successful`, source);
    } catch (err) {
      // the old pod of that name is still being removed: the next reconcile (its DELETED event) makes it
      if (err instanceof AlreadyExistsError) return;
      void events.record(involvedObjectOf(set), 'Warning', 'FailedCreate', `create Pod ${name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`, source);
      throw err;
    }
  }

  async function deletePod(pass: Pass, ordinal: number, why: string): Promise<void> {
    const { set } = pass;
    const pod = pass.pods.get(ordinal)!;
    const key = { kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name };
    const deleted = await deletePodGracefully(store, key, { clock, uid: pod.metadata.uid });
    if (!deleted) {
      pass.pods.delete(ordinal);
      return;
    }
    pass.pods.set(ordinal, deleted as Pod);
    logger.info({ statefulset: objectKey(set), pod: pod.metadata.name, why }, 'deleted pod');
    void events.record(involvedObjectOf(set), 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`, source);
  }

  /** The pod steps of one reconcile, Kubernetes' order; returns when OrderedReady has to wait. */
  async function step(pass: Pass): Promise<void> {
    const { set, pods, now } = pass;
    const monotonic = (set.spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    const minReady = set.spec.minReadySeconds ?? 0;
    const healthy = (pod: Pod | undefined): boolean => pod !== undefined && !isTerminating(pod) && isRunningAndReady(pod) && isPodAvailable(pod, minReady, now);
    const start = startOrdinal(set);
    const end = start + (set.spec.replicas ?? 1);
    const ordinals: number[] = [];
    for (let o = start; o < end; o++) ordinals.push(o);

    // 1. every ordinal in range, lowest first
    for (const ordinal of ordinals) {
      let pod = pods.get(ordinal);
      if (pod && isFinished(pod) && !isTerminating(pod)) {
        await deletePod(pass, ordinal, `pod ${pod.status?.phase}`);
        pod = pods.get(ordinal);
      }
      if (!pod) {
        await createPod(pass, ordinal);
        if (monotonic) return;
        continue;
      }
      if (isTerminating(pod)) {
        if (monotonic) return;
        continue;
      }
      // the claims of a running pod follow the retention policy (its owner references)
      await ensureClaims(store, cache, set, ordinal);
      if (!healthy(pod) && monotonic) return;
    }

    // 2. surplus ordinals, highest first
    const condemned = [...pods.keys()].filter((o) => o < start || o >= end).sort((a, b) => b - a);
    const firstUnhealthy = [...ordinals, ...[...condemned].reverse()].find((o) => !healthy(pods.get(o)));
    for (const ordinal of condemned) {
      const pod = pods.get(ordinal)!;
      if (isTerminating(pod)) {
        if (monotonic) return;
        continue;
      }
      if (monotonic && !healthy(pod) && ordinal !== firstUnhealthy) return;
      await deletePod(pass, ordinal, 'scale down');
      if (monotonic) return;
    }

    // 3. the rolling update, highest first, down to the partition
    if ((set.spec.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return;
    const update = pass.revs.update.metadata.name;
    const updateMin = start + (set.spec.updateStrategy?.rollingUpdate?.partition ?? 0);
    const maxUnavailableSpec = set.spec.updateStrategy?.rollingUpdate?.maxUnavailable;
    const descending = [...ordinals].reverse().filter((o) => o >= updateMin);
    const isOld = (pod: Pod | undefined): pod is Pod => pod !== undefined && revisionOfPod(pod) !== update && !isTerminating(pod);
    if (maxUnavailableSpec === undefined) {
      for (const ordinal of descending) {
        const pod = pods.get(ordinal);
        if (isOld(pod)) {
          await deletePod(pass, ordinal, 'rolling update');
          return;
        }
        if (!healthy(pod)) return;
      }
      return;
    }
    const maxUnavailable = Math.max(1, scaledValue(maxUnavailableSpec, ordinals.length, false, 1));
    const unavailable = ordinals.filter((o) => !healthy(pods.get(o))).length;
    if (unavailable >= maxUnavailable) return;
    const doomed: number[] = [];
    for (const ordinal of descending) {
      if (doomed.length >= maxUnavailable - unavailable) break;
      if (isOld(pods.get(ordinal))) doomed.push(ordinal);
    }
    for (const ordinal of doomed) await deletePod(pass, ordinal, 'rolling update');
  }

  function statusOf(pass: Pass): StatefulSetStatus {
    const { set, revs, pods, now } = pass;
    const minReady = set.spec.minReadySeconds ?? 0;
    const live = [...pods.values()];
    const status: StatefulSetStatus = {
      observedGeneration: set.metadata.generation ?? 1,
      replicas: live.length,
      readyReplicas: live.filter(isRunningAndReady).length,
      currentReplicas: live.filter((p) => !isTerminating(p) && revisionOfPod(p) === revs.current.metadata.name).length,
      updatedReplicas: live.filter((p) => !isTerminating(p) && revisionOfPod(p) === revs.update.metadata.name).length,
      availableReplicas: live.filter((p) => isRunningAndReady(p) && isPodAvailable(p, minReady, now)).length,
      currentRevision: revs.current.metadata.name,
      updateRevision: revs.update.metadata.name,
      collisionCount: revs.collisionCount,
    };
    // the rollout is complete: the update revision becomes the current one
    const want = set.spec.replicas ?? 1;
    if (status.updatedReplicas === want && status.replicas === want && status.readyReplicas === want) {
      status.currentRevision = status.updateRevision;
      status.currentReplicas = status.updatedReplicas;
    }
    return status;
  }

  async function reconcile(key: string): Promise<void> {
    const { namespace, name } = splitObjectKey(key);
    const set = await store.get<StatefulSet>({ kind: 'StatefulSet', namespace, name });
    if (!set || set.metadata.deletionTimestamp) return;
    const owned = cache
      .kind<Pod>('Pod')
      .ownedBy(set.metadata.uid ?? '')
      .filter((p) => (p.metadata.namespace ?? 'default') === namespace && isControlledBy(p, set));
    const pods = new Map<number, Pod>();
    for (const pod of owned) {
      const ordinal = ordinalOf(set, pod);
      if (ordinal !== undefined) pods.set(ordinal, pod);
    }
    const revs = await syncRevisions(store, cache, set);
    const pass: Pass = { set, revs, pods, now: clock() };
    await step(pass);

    const start = startOrdinal(set);
    const deletedClaims = await deleteScaledClaims(store, cache, clock, set, start, start + (set.spec.replicas ?? 1), new Set(pods.keys()));
    for (const claim of deletedClaims) {
      void events.record(involvedObjectOf(set), 'Normal', 'SuccessfulDelete', `delete Claim ${claim} in StatefulSet ${set.metadata.name} successful`, source);
    }

    const status = statusOf(pass);
    await updateWithRetry<StatefulSet>(store, { kind: 'StatefulSet', namespace, name }, (cur) => {
      if (cur.metadata.uid !== set.metadata.uid) return undefined;
      const next = { ...status, ...(cur.status?.conditions ? { conditions: cur.status.conditions } : {}) };
      return isDeepStrictEqual(next, cur.status) ? undefined : { ...cur, status: next };
    });
    const inUse = new Set([...pods.values()].map(revisionOfPod).filter((r): r is string => r !== undefined));
    await truncateHistory(store, set, { ...revs, current: revs.revisions.find((r) => r.metadata.name === status.currentRevision) ?? revs.current }, inUse);

    const minReady = set.spec.minReadySeconds ?? 0;
    const waits = [...pods.values()].map((p) => msUntilAvailable(p, minReady, pass.now)).filter((ms): ms is number => ms !== undefined);
    if (waits.length > 0) loop.requeueAfter(key, Math.min(...waits) + 10);
  }

  const loop = createReconcileLoop({
    name: STATEFULSET_CONTROLLER,
    logger,
    reconcile,
    resyncMs: opts.resyncMs,
    ...(opts.minReconcileIntervalMs !== undefined ? { minIntervalMs: opts.minReconcileIntervalMs } : {}),
    listKeys: async () => cache.kind<StatefulSet>('StatefulSet').list().map(objectKey),
  });

  return loopController(loop, logger, () => [
    cache.kind('StatefulSet').subscribe((e) => {
      if (e.type !== 'DELETED') loop.enqueue(objectKey(e.object));
    }),
    cache.kind('Pod').subscribe((e) => {
      const owner = controllerKey(e.object, 'StatefulSet');
      if (owner !== undefined) loop.enqueue(owner);
    }),
    cache.kind('ControllerRevision').subscribe((e) => {
      const owner = controllerKey(e.object, 'StatefulSet');
      if (owner !== undefined) loop.enqueue(owner);
    }),
  ]);
}

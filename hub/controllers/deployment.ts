/**
 * The Deployment controller, in Kubernetes' design: one ReplicaSet per pod-template revision, named
 * `<deployment>-<pod-template-hash>`, and a rollout that moves replicas from the old ReplicaSets to the
 * new one (RollingUpdate within maxSurge / maxUnavailable, gated on pod availability; or Recreate).
 * The ReplicaSet controller makes and deletes the pods; this one only sizes ReplicaSets, keeps the
 * revision annotations (an old ReplicaSet whose template comes back takes the next revision: that is
 * `rollout undo`), trims old ReplicaSets beyond revisionHistoryLimit, and writes status and conditions.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Deployment, Pod, ReplicaSet } from '../../protocol/index.js';
import { updateWithRetry } from '../store/update-with-retry.js';
import { AlreadyExistsError, NotFoundError } from '../store/errors.js';
import type { CacheEvent } from '../cache/object-cache.js';
import type { Controller } from './controller.js';
import { HashCollisionError } from './errors.js';
import { newReplicaSetTarget, oldReplicaSetTargets, resolveFenceposts, type Fenceposts, type RolloutReplicaSet } from './deployment-rollout.js';
import { deploymentStatus, isDeploymentComplete, msUntilProgressDeadline, type NewReplicaSetEvent } from './deployment-status.js';
import { countPods, isPodActive, type PodCounts } from './pod-state.js';
import { controllerKey, controllerRefTo, podTemplateHash, templateWithLabel } from './pod-template.js';
import { controllerOf, isControlledBy, revisionOf, runsTemplate, templateWithoutLabel } from '../../protocol/workload-helpers.js';
import { createReconcileLoop, loopController, objectKey, splitObjectKey } from './reconcile-loop.js';
import { involvedObjectOf, type WorkloadControllerOptions } from './replicaset.js';
import { DESIRED_REPLICAS_ANNOTATION, LAST_APPLIED_ANNOTATION, MAX_REPLICAS_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from '../../protocol/well-known.js';

export const DEPLOYMENT_CONTROLLER = 'deployment-controller';
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;
/** Deployment annotations Kubernetes does not copy onto its ReplicaSets. */
const NOT_COPIED = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

/** The Deployment's own annotations a ReplicaSet carries (kubernetes.io/change-cause, ...), as Kubernetes copies them. */
export function copiedAnnotations(d: Deployment): Record<string, string> {
  return Object.fromEntries(Object.entries(d.metadata.annotations ?? {}).filter(([k]) => !NOT_COPIED.has(k)));
}
const MAX_COLLISIONS = 5;

function olderFirst(a: ReplicaSet, b: ReplicaSet): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : 1;
}

interface SyncState {
  d: Deployment;
  namespace: string;
  fence: Fenceposts;
  replicas: number;
  newRs: ReplicaSet | undefined;
  oldRss: ReplicaSet[];
  /** Pods controlled by each ReplicaSet (by uid), all of them, active or not. */
  podsOf: Map<string, Pod[]>;
  /** The active ones, worked out once per ReplicaSet and reconcile. */
  activeOf?: Map<string, Pod[]>;
  /** Their counts (ready, available), once per ReplicaSet and reconcile. */
  countsOf?: Map<string, PodCounts>;
  newRsEvent: NewReplicaSetEvent;
  now: number;
}

export async function createDeploymentController(opts: WorkloadControllerOptions): Promise<Controller> {
  const { store, cache, clock, events } = opts;
  const logger = opts.logger.child({ controller: 'deployment' });
  const source = { component: DEPLOYMENT_CONTROLLER };
  /** "ns/rs" -> "ns/deployment" controlling it, so pod events reach the Deployment. */
  const ownerOfReplicaSet = new Map<string, string>();

  const activeOf = (s: SyncState, rs: ReplicaSet): Pod[] => {
    const uid = rs.metadata.uid ?? '';
    s.activeOf ??= new Map();
    let active = s.activeOf.get(uid);
    if (!active) s.activeOf.set(uid, (active = (s.podsOf.get(uid) ?? []).filter(isPodActive)));
    return active;
  };
  const minReady = (d: Deployment): number => d.spec.minReadySeconds ?? 0;
  /** One pass over a ReplicaSet's active pods per reconcile, whatever asks (rollout steps, status). */
  const countsOf = (s: SyncState, rs: ReplicaSet): PodCounts => {
    const uid = rs.metadata.uid ?? '';
    s.countsOf ??= new Map();
    let counts = s.countsOf.get(uid);
    if (!counts) s.countsOf.set(uid, (counts = countPods(activeOf(s, rs), minReady(s.d), s.now)));
    return counts;
  };

  function view(s: SyncState, rs: ReplicaSet): RolloutReplicaSet {
    const active = activeOf(s, rs);
    return {
      name: rs.metadata.name,
      replicas: rs.spec.replicas ?? 1,
      activePods: active.length,
      availablePods: countsOf(s, rs).available,
      revision: revisionOf(rs),
      creationTimestamp: rs.metadata.creationTimestamp ?? '',
    };
  }

  /** Set spec.replicas (and the replica annotations) of one ReplicaSet; ScalingReplicaSet event on the Deployment. */
  async function scale(s: SyncState, rs: ReplicaSet, to: number): Promise<ReplicaSet> {
    const from = rs.spec.replicas ?? 1;
    const annotations = { [DESIRED_REPLICAS_ANNOTATION]: String(s.replicas), [MAX_REPLICAS_ANNOTATION]: String(s.replicas + s.fence.maxSurge) };
    const result = await updateWithRetry<ReplicaSet>(store, { kind: 'ReplicaSet', namespace: s.namespace, name: rs.metadata.name }, (cur) => {
      if (cur.metadata.uid !== rs.metadata.uid) return undefined;
      const merged = { ...(cur.metadata.annotations ?? {}), ...annotations };
      if ((cur.spec.replicas ?? 1) === to && isDeepStrictEqual(merged, cur.metadata.annotations ?? {})) return undefined;
      return { ...cur, metadata: { ...cur.metadata, annotations: merged }, spec: { ...cur.spec, replicas: to } };
    });
    if (result.outcome === 'notFound') throw new NotFoundError({ kind: 'ReplicaSet', namespace: s.namespace, name: rs.metadata.name });
    if (from !== to) {
      const verb = to > from ? 'up' : 'down';
      logger.info({ deployment: objectKey(s.d), replicaset: rs.metadata.name, from, to }, `scaled ${verb} replica set`);
      await events.record(involvedObjectOf(s.d), 'Normal', 'ScalingReplicaSet', `Scaled ${verb} replica set ${rs.metadata.name} to ${to}`, source);
    }
    return result.object;
  }

  /** The new ReplicaSet for the Deployment's template, created with `replicas` (named by the template hash). */
  async function createNewReplicaSet(s: SyncState, revision: number, replicas: number): Promise<ReplicaSet | 'collision'> {
    const d = s.d;
    const hash = podTemplateHash(templateWithoutLabel(d.spec.template, POD_TEMPLATE_HASH_LABEL), d.status?.collisionCount ?? 0);
    const template = templateWithLabel(d.spec.template, POD_TEMPLATE_HASH_LABEL, hash);
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: s.namespace,
        labels: { ...(template.metadata?.labels ?? {}) },
        annotations: {
          ...copiedAnnotations(d),
          [REVISION_ANNOTATION]: String(revision),
          [DESIRED_REPLICAS_ANNOTATION]: String(s.replicas),
          [MAX_REPLICAS_ANNOTATION]: String(s.replicas + s.fence.maxSurge),
        },
        ownerReferences: [controllerRefTo(d)],
      },
      spec: {
        replicas,
        minReadySeconds: minReady(d),
        selector: { ...d.spec.selector, matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } },
        template,
      },
    };
    try {
      const created = await store.create<ReplicaSet>(rs);
      logger.info({ deployment: objectKey(d), replicaset: created.metadata.name, revision, replicas }, 'created new replica set');
      if (replicas > 0) {
        await events.record(involvedObjectOf(d), 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} to ${replicas}`, source);
      }
      return created;
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      const existing = await store.get<ReplicaSet>({ kind: 'ReplicaSet', namespace: s.namespace, name: rs.metadata.name });
      // Ours with the same template, not seen in the list a moment ago: the next sync finds it.
      if (existing && isControlledBy(existing, d) && runsTemplate(existing, d)) throw err;
      return 'collision';
    }
  }

  /** Kubernetes' collision handling: bump status.collisionCount so the next hash differs. */
  async function bumpCollisionCount(s: SyncState): Promise<void> {
    const count = (s.d.status?.collisionCount ?? 0) + 1;
    if (count > MAX_COLLISIONS) throw new HashCollisionError(objectKey(s.d), count);
    logger.warn({ deployment: objectKey(s.d), collisionCount: count }, 'pod-template hash names another replica set; bumping collisionCount');
    await store.update<Deployment>({ ...s.d, status: { ...(s.d.status ?? {}), collisionCount: count } }, { expectedResourceVersion: s.d.metadata.resourceVersion });
  }

  /**
   * Find or make the new ReplicaSet and keep the revisions right. Returns false when the sync must stop
   * (a hash collision was recorded; the write wakes the Deployment again).
   */
  async function ensureNewReplicaSet(s: SyncState, create: boolean, initialReplicas: () => number): Promise<boolean> {
    const maxOld = Math.max(0, ...s.oldRss.map(revisionOf));
    if (s.newRs) {
      s.newRsEvent = 'found';
      const rs = s.newRs;
      const wantRevision = revisionOf(rs) > maxOld ? revisionOf(rs) : maxOld + 1;
      if (revisionOf(rs) !== wantRevision || (rs.spec.minReadySeconds ?? 0) !== minReady(s.d)) {
        // A template that came back (rollout undo) takes the next revision; minReadySeconds follows the Deployment.
        const result = await updateWithRetry<ReplicaSet>(store, { kind: 'ReplicaSet', namespace: s.namespace, name: rs.metadata.name }, (cur) => {
          const annotations = { ...(cur.metadata.annotations ?? {}) };
          const previous = revisionOf(cur);
          if (previous !== wantRevision) {
            // Kubernetes keeps the revisions a reused ReplicaSet had before, and its change-cause follows the Deployment.
            Object.assign(annotations, copiedAnnotations(s.d));
            if (previous > 0) annotations[REVISION_HISTORY_ANNOTATION] = [annotations[REVISION_HISTORY_ANNOTATION], String(previous)].filter(Boolean).join(',');
            annotations[REVISION_ANNOTATION] = String(wantRevision);
          }
          return { ...cur, metadata: { ...cur.metadata, annotations }, spec: { ...cur.spec, minReadySeconds: minReady(s.d) } };
        });
        if (result.outcome === 'notFound') throw new NotFoundError({ kind: 'ReplicaSet', namespace: s.namespace, name: rs.metadata.name });
        if (revisionOf(rs) !== wantRevision) logger.info({ deployment: objectKey(s.d), replicaset: rs.metadata.name, revision: wantRevision }, 'replica set is new again');
        s.newRs = result.object;
      }
      return true;
    }
    if (!create) return true;
    const created = await createNewReplicaSet(s, maxOld + 1, initialReplicas());
    if (created === 'collision') {
      await bumpCollisionCount(s);
      return false;
    }
    s.newRs = created;
    s.newRsEvent = 'created';
    return true;
  }

  async function rolloutRolling(s: SyncState): Promise<void> {
    if (!(await ensureNewReplicaSet(s, true, () => {
      const placeholder: RolloutReplicaSet = { name: '', replicas: 0, activePods: 0, availablePods: 0, revision: 0, creationTimestamp: '' };
      return newReplicaSetTarget(s.replicas, s.fence, s.oldRss.map((rs) => view(s, rs)), placeholder);
    }))) return;
    const newRs = s.newRs!;
    const newView = view(s, newRs);
    const all = [...s.oldRss.map((rs) => view(s, rs)), newView];
    const target = newReplicaSetTarget(s.replicas, s.fence, all, newView);
    if (target !== newView.replicas) {
      s.newRs = await scale(s, newRs, target);
      return;
    }
    const targets = oldReplicaSetTargets(s.replicas, s.fence, s.oldRss.map((rs) => view(s, rs)), newView);
    if (targets.size > 0) {
      for (const [name, to] of targets) {
        const rs = s.oldRss.find((r) => r.metadata.name === name)!;
        const scaled = await scale(s, rs, to);
        s.oldRss = s.oldRss.map((r) => (r.metadata.name === name ? scaled : r));
      }
    }
  }

  async function rolloutRecreate(s: SyncState): Promise<void> {
    if (!(await ensureNewReplicaSet(s, true, () => (s.oldRss.some((rs) => (rs.spec.replicas ?? 1) > 0) ? 0 : s.replicas)))) return;
    let scaledDown = false;
    for (const rs of s.oldRss) {
      if ((rs.spec.replicas ?? 1) === 0) continue;
      const scaled = await scale(s, rs, 0);
      s.oldRss = s.oldRss.map((r) => (r.metadata.uid === rs.metadata.uid ? scaled : r));
      scaledDown = true;
    }
    if (scaledDown) return;
    // Wait until every old pod is gone (terminating ones included), then scale the new one up.
    const oldPodsLeft = s.oldRss.some((rs) => (s.podsOf.get(rs.metadata.uid ?? '') ?? []).some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded'));
    if (oldPodsLeft) return;
    const newRs = s.newRs!;
    if ((newRs.spec.replicas ?? 1) !== s.replicas) s.newRs = await scale(s, newRs, s.replicas);
  }

  /** Paused: no rollout, only follow spec.replicas on the ReplicaSet that is active (or the newest). */
  async function syncPaused(s: SyncState): Promise<void> {
    await ensureNewReplicaSet(s, false, () => 0);
    const all = [...(s.newRs ? [s.newRs] : []), ...s.oldRss];
    const active = all.filter((rs) => (rs.spec.replicas ?? 1) > 0);
    const total = active.reduce((n, rs) => n + (rs.spec.replicas ?? 1), 0);
    if (total === s.replicas) return;
    const target =
      active.length === 1 ? active[0]! : s.newRs && (s.newRs.spec.replicas ?? 1) > 0 ? s.newRs : [...all].sort((a, b) => revisionOf(b) - revisionOf(a))[0];
    if (!target) return;
    const others = total - (active.includes(target) ? (target.spec.replicas ?? 1) : 0);
    await scale(s, target, Math.max(0, s.replicas - others));
  }

  /** Delete old ReplicaSets with nothing left in them beyond revisionHistoryLimit, lowest revision first. */
  async function cleanupHistory(s: SyncState): Promise<void> {
    const limit = s.d.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
    const cleanable = s.oldRss.filter((rs) => !rs.metadata.deletionTimestamp);
    let excess = cleanable.length - limit;
    if (excess <= 0) return;
    for (const rs of [...cleanable].sort((a, b) => revisionOf(a) - revisionOf(b))) {
      if (excess <= 0) break;
      if ((rs.spec.replicas ?? 1) !== 0 || activeOf(s, rs).length > 0 || (rs.status?.replicas ?? 0) !== 0) continue;
      try {
        await store.delete({ kind: 'ReplicaSet', namespace: s.namespace, name: rs.metadata.name }, { expectedResourceVersion: rs.metadata.resourceVersion });
        logger.info({ deployment: objectKey(s.d), replicaset: rs.metadata.name, revision: revisionOf(rs) }, 'deleted old replica set beyond revisionHistoryLimit');
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      s.oldRss = s.oldRss.filter((r) => r !== rs);
      excess--;
    }
  }

  async function writeStatus(s: SyncState): Promise<void> {
    const all = [...(s.newRs ? [s.newRs] : []), ...s.oldRss];
    let replicas = 0;
    let ready = 0;
    let available = 0;
    let nextAvailable: number | undefined;
    for (const rs of all) {
      const counts = countsOf(s, rs);
      replicas += activeOf(s, rs).length;
      ready += counts.ready;
      available += counts.available;
      if (counts.nextAvailableInMs !== undefined) nextAvailable = Math.min(nextAvailable ?? counts.nextAvailableInMs, counts.nextAvailableInMs);
    }
    const status = deploymentStatus({
      deployment: s.d,
      counts: {
        replicas,
        updatedReplicas: s.newRs ? activeOf(s, s.newRs).length : 0,
        readyReplicas: ready,
        availableReplicas: available,
        specReplicas: all.reduce((n, rs) => n + (rs.spec.replicas ?? 1), 0),
      },
      newReplicaSetName: s.newRs?.metadata.name,
      newReplicaSetEvent: s.newRsEvent,
      maxUnavailable: s.d.spec.strategy?.type === 'Recreate' ? 0 : s.fence.maxUnavailable,
      now: s.now,
    });
    const revision = s.newRs ? String(revisionOf(s.newRs)) : s.d.metadata.annotations?.[REVISION_ANNOTATION];
    const key = { kind: 'Deployment', namespace: s.namespace, name: s.d.metadata.name };
    await updateWithRetry<Deployment>(store, key, (cur) => {
      if (cur.metadata.uid !== s.d.metadata.uid) return undefined;
      const annotations = revision !== undefined ? { ...(cur.metadata.annotations ?? {}), [REVISION_ANNOTATION]: revision } : cur.metadata.annotations;
      // A spec written meanwhile was not observed: keep the observedGeneration we computed.
      const next = { ...cur, metadata: { ...cur.metadata, ...(annotations ? { annotations } : {}) }, status: { ...status, ...(cur.status?.collisionCount !== undefined ? { collisionCount: cur.status.collisionCount } : {}) } };
      return isDeepStrictEqual(next.status, cur.status) && isDeepStrictEqual(next.metadata.annotations, cur.metadata.annotations) ? undefined : next;
    });
    const waitDeadline = msUntilProgressDeadline(s.d, status, s.now);
    const waits = [...(nextAvailable !== undefined ? [nextAvailable + 10] : []), ...(waitDeadline !== undefined ? [waitDeadline] : [])];
    if (waits.length > 0) loop.requeueAfter(objectKey(s.d), Math.min(...waits));
  }

  async function reconcile(key: string): Promise<void> {
    const { namespace, name } = splitObjectKey(key);
    const d = await store.get<Deployment>({ kind: 'Deployment', namespace, name });
    if (!d || d.metadata.deletionTimestamp) return;
    const owned = cache.kind<ReplicaSet>('ReplicaSet').ownedBy(d.metadata.uid ?? '').filter((rs) => isControlledBy(rs, d));
    const podsOf = new Map<string, Pod[]>();
    const pods = cache.kind<Pod>('Pod');
    for (const rs of owned) {
      const uid = rs.metadata.uid ?? '';
      podsOf.set(uid, pods.ownedBy(uid).filter((pod) => controllerOf(pod)?.kind === 'ReplicaSet'));
    }
    // Several ReplicaSets with the current template (a collision leftover): the oldest is the new one.
    const newRs = owned.filter((rs) => runsTemplate(rs, d)).sort(olderFirst)[0];
    const s: SyncState = {
      d,
      namespace,
      fence: resolveFenceposts(d),
      replicas: d.spec.replicas ?? 1,
      newRs,
      oldRss: owned.filter((rs) => rs !== newRs),
      podsOf,
      newRsEvent: 'none',
      now: clock(),
    };
    if (d.spec.paused) {
      await syncPaused(s);
      await cleanupHistory(s);
    } else if (d.spec.strategy?.type === 'Recreate') {
      await rolloutRecreate(s);
      await cleanupHistory(s);
    } else {
      await rolloutRolling(s);
      await cleanupIfComplete(s);
    }
    await writeStatus(s);
  }

  async function cleanupIfComplete(s: SyncState): Promise<void> {
    if (!s.newRs) return;
    const active = activeOf(s, s.newRs);
    const oldActive = s.oldRss.reduce((n, rs) => n + activeOf(s, rs).length, 0);
    const available = countsOf(s, s.newRs).available;
    const status = { updatedReplicas: active.length, replicas: active.length + oldActive, availableReplicas: available, observedGeneration: s.d.metadata.generation ?? 1 };
    if (isDeploymentComplete(s.d, status)) await cleanupHistory(s);
  }

  const loop = createReconcileLoop({
    name: DEPLOYMENT_CONTROLLER,
    logger,
    reconcile,
    resyncMs: opts.resyncMs,
    ...(opts.minReconcileIntervalMs !== undefined ? { minIntervalMs: opts.minReconcileIntervalMs } : {}),
    listKeys: async () => cache.kind<Deployment>('Deployment').list().map(objectKey),
  });

  function onReplicaSet(event: CacheEvent): void {
    const owner = controllerKey(event.object, 'Deployment');
    if (event.type === 'DELETED' || owner === undefined) ownerOfReplicaSet.delete(objectKey(event.object));
    else ownerOfReplicaSet.set(objectKey(event.object), owner);
    if (owner !== undefined) loop.enqueue(owner);
  }

  function onPod(event: CacheEvent): void {
    const rs = controllerKey(event.object, 'ReplicaSet');
    const owner = rs === undefined ? undefined : ownerOfReplicaSet.get(rs);
    if (owner !== undefined) loop.enqueue(owner);
  }

  return loopController(loop, logger, () => {
    for (const rs of cache.kind<ReplicaSet>('ReplicaSet').list()) {
      const owner = controllerKey(rs, 'Deployment');
      if (owner !== undefined) ownerOfReplicaSet.set(objectKey(rs), owner);
    }
    return [
      cache.kind('Deployment').subscribe((e) => {
        if (e.type !== 'DELETED') loop.enqueue(objectKey(e.object));
      }),
      cache.kind('ReplicaSet').subscribe(onReplicaSet),
      cache.kind('Pod').subscribe(onPod),
    ];
  });
}

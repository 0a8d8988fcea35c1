/**
 * The DaemonSet controller: one Pod per node that should run it (daemonset-placement.ts), created
 * with spec.nodeName set (bypassing the scheduler) and the daemon tolerations, named `<ds>-<5 random>`
 * and labelled controller-revision-hash (the template's hash). Nodes that join later get a pod; pods
 * on nodes that stop matching, or that are gone, are deleted; a Failed pod is replaced; extra pods on
 * one node are deleted (the oldest stays). Updates: RollingUpdate (maxUnavailable, default 1) deletes
 * old-hash pods a few nodes at a time, waiting for the replacement to be available; OnDelete only
 * replaces a pod when someone deletes it. Each template is kept as a ControllerRevision `<ds>-<hash>`
 * (controller-revisions.ts; revisionHistoryLimit, 10), which `rollout history|undo` read.
 */
import { isDeepStrictEqual } from 'node:util';
import type { DaemonSet, Node, Pod } from '../../protocol/index.js';
import { updateWithRetry } from '../store/update-with-retry.js';
import { nodeSchedulingFingerprint } from '../placement/node-fingerprint.js';
import { createLiveSnapshot, type LiveSnapshot } from '../placement/live-snapshot.js';
import { withoutPods } from '../placement/snapshot.js';
import type { CacheEvent } from '../cache/object-cache.js';
import type { Controller } from './controller.js';
import { placeDaemonPod, withDaemonTolerations, type Placement } from './daemonset-placement.js';
import { scaledValue } from './int-or-percent.js';
import { deletePodGracefully } from '../registry/pod-deletion.js';
import { admitComponentPod, createPodSecurityAdmission } from '../admission/pod-security/admission.js';
import { isPodAvailable, isPodReady, msUntilAvailable } from './pod-state.js';
import { isControlledBy } from '../../protocol/workload-helpers.js';
import { controllerKey, podFromTemplate, podTemplateHash } from './pod-template.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../../protocol/well-known.js';
import { createReconcileLoop, loopController, objectKey, splitObjectKey } from './reconcile-loop.js';
import { syncRevisions, truncateHistory } from './controller-revisions.js';
import { DEFAULT_BURST_REPLICAS, involvedObjectOf, type WorkloadControllerOptions } from './replicaset.js';

export const DAEMONSET_CONTROLLER = 'daemonset-controller';

type DaemonSetStatus = NonNullable<DaemonSet['status']>;

const olderFirst = (a: Pod, b: Pod): number => {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : 1;
};

export async function createDaemonSetController(opts: WorkloadControllerOptions): Promise<Controller> {
  const { store, cache, clock, events } = opts;
  const logger = opts.logger.child({ controller: 'daemonset' });
  const source = { component: DAEMONSET_CONTROLLER };
  const nodeFingerprints = new Map<string, string>();
  const burstReplicas = opts.burstReplicas ?? DEFAULT_BURST_REPLICAS;
  const podSecurity = opts.podSecurity ?? createPodSecurityAdmission({ cache });
  /** The cluster as the scheduler sees it, kept current from the cache (created at start). */
  let liveSnapshot: LiveSnapshot | undefined;

  async function createPod(ds: DaemonSet, node: string, hash: string): Promise<Pod> {
    const template = { ...ds.spec.template, spec: { ...ds.spec.template.spec, tolerations: withDaemonTolerations(ds.spec.template.spec.tolerations) } };
    const namespace = ds.metadata.namespace ?? 'default';
    try {
      const fresh = podFromTemplate(template, { base: ds.metadata.name, namespace, owner: ds, nodeName: node, extraLabels: { [CONTROLLER_REVISION_HASH_LABEL]: hash } });
      admitComponentPod(podSecurity, DAEMONSET_CONTROLLER, fresh);
      const pod = await store.create<Pod>(fresh);
      logger.debug({ daemonset: objectKey(ds), pod: pod.metadata.name, node }, 'created daemon pod');
      void events.record(involvedObjectOf(ds), 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, source);
      return pod;
    } catch (err) {
      void events.record(involvedObjectOf(ds), 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`, source);
      throw err;
    }
  }

  async function deletePod(ds: DaemonSet, pod: Pod, why: string): Promise<void> {
    const key = { kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name };
    const deleted = await deletePodGracefully(store, key, { clock, uid: pod.metadata.uid });
    if (!deleted) return;
    logger.info({ daemonset: objectKey(ds), pod: pod.metadata.name, node: pod.spec.nodeName, why }, 'deleted daemon pod');
    void events.record(involvedObjectOf(ds), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, source);
  }

  async function reconcile(key: string): Promise<void> {
    const { namespace, name } = splitObjectKey(key);
    const ds = await store.get<DaemonSet>({ kind: 'DaemonSet', namespace, name });
    if (!ds || ds.metadata.deletionTimestamp) return;
    const nodes = cache.kind<Node>('Node').list();
    const nodeNames = new Set(nodes.map((n) => n.metadata.name));
    const own = cache.kind<Pod>('Pod').ownedBy(ds.metadata.uid ?? '').filter((p) => (p.metadata.namespace ?? 'default') === namespace && isControlledBy(p, ds));
    const ownOn = new Map<string, Pod[]>();
    for (const pod of own) {
      const list = ownOn.get(pod.spec.nodeName ?? '') ?? [];
      list.push(pod);
      ownOn.set(pod.spec.nodeName ?? '', list);
    }
    // the cluster as the scheduler sees it, minus this daemon's own pods (they are what is being placed)
    const snapshot = withoutPods(liveSnapshot!, own);
    const hash = podTemplateHash(ds.spec.template);
    const now = clock();
    const minReady = ds.spec.minReadySeconds ?? 0;
    const probe: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${ds.metadata.name}-probe`, namespace },
      spec: { ...ds.spec.template.spec, tolerations: withDaemonTolerations(ds.spec.template.spec.tolerations) },
    };

    // Pods on no node, or on a node that is gone: nothing will ever run them.
    for (const pod of own) {
      if (!pod.metadata.deletionTimestamp && (!pod.spec.nodeName || !nodeNames.has(pod.spec.nodeName))) await deletePod(ds, pod, 'node gone');
    }

    /** node -> its live (not terminating) daemon pods, oldest first. */
    const live = new Map<string, Pod[]>();
    const placements = new Map<string, Placement>();
    const doomed: Array<{ pod: Pod; why: string }> = [];
    const toCreate: string[] = [];
    for (const node of nodes) {
      const nodeName = node.metadata.name;
      const placement = placeDaemonPod({ ...probe, spec: { ...probe.spec, nodeName } }, node, snapshot);
      placements.set(nodeName, placement);
      const onNode = (ownOn.get(nodeName) ?? []).filter((p) => !p.metadata.deletionTimestamp).sort(olderFirst);
      let running: Pod[] = [];
      if (placement.shouldContinueRunning) {
        for (const pod of onNode) {
          if (pod.status?.phase === 'Failed') doomed.push({ pod, why: 'pod failed' });
          else running.push(pod);
        }
        for (const extra of running.slice(1)) doomed.push({ pod: extra, why: 'more than one daemon pod on the node' });
        running = running.slice(0, 1);
        if (running.length === 0 && placement.shouldRun) toCreate.push(nodeName);
      } else {
        for (const pod of onNode) doomed.push({ pod, why: 'node no longer matches' });
      }
      if (running.length === 0 && placement.unfitReason && placement.shouldContinueRunning) {
        void events.record(involvedObjectOf(ds), 'Warning', 'FailedPlacement', `failed to place pod on "${nodeName}": ${placement.unfitReason}`, source);
      }
      live.set(nodeName, running);
    }
    await Promise.all(doomed.map((d) => deletePod(ds, d.pod, d.why)));
    // at most burstReplicas creates per reconcile, all at once (the store commits them together); the rest next time
    const createNow = toCreate.slice(0, burstReplicas);
    if (toCreate.length > burstReplicas) loop.continueNow(key);
    const created = await Promise.allSettled(createNow.map((nodeName) => createPod(ds, nodeName, hash)));
    created.forEach((r, i) => {
      if (r.status === 'fulfilled') live.set(createNow[i]!, [r.value]);
    });
    const failed = created.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    const desired = nodes.filter((n) => {
      const p = placements.get(n.metadata.name)!;
      return p.shouldRun || (p.shouldContinueRunning && (live.get(n.metadata.name) ?? []).length > 0);
    });
    if ((ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      await rollingUpdate(ds, hash, desired, ownOn, live, now);
    }

    // Status, from what is on each node now.
    const first = (n: Node): Pod | undefined => live.get(n.metadata.name)?.[0];
    const withPod = desired.filter((n) => first(n) !== undefined);
    const status: DaemonSetStatus = {
      desiredNumberScheduled: desired.length,
      currentNumberScheduled: withPod.length,
      numberMisscheduled: nodes.filter((n) => !desired.includes(n) && first(n) !== undefined).length,
      numberReady: withPod.filter((n) => isPodReady(first(n)!)).length,
      numberAvailable: withPod.filter((n) => isPodAvailable(first(n)!, minReady, now)).length,
      numberUnavailable: desired.length - withPod.filter((n) => isPodAvailable(first(n)!, minReady, now)).length,
      updatedNumberScheduled: withPod.filter((n) => first(n)!.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash).length,
      observedGeneration: ds.metadata.generation ?? 1,
    };
    await updateWithRetry<DaemonSet>(store, { kind: 'DaemonSet', namespace, name }, (cur) => {
      if (cur.metadata.uid !== ds.metadata.uid) return undefined;
      const next = { ...status, ...(cur.status?.conditions ? { conditions: cur.status.conditions } : {}) };
      return isDeepStrictEqual(next, cur.status) ? undefined : { ...cur, status: next };
    });
    // the revision history (rollout history / undo): one ControllerRevision per template, named by the pods' hash
    const revs = await syncRevisions(store, cache, ds, () => hash);
    const inUse = new Set(own.map((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]).filter((h): h is string => h !== undefined).map((h) => `${ds.metadata.name}-${h}`));
    await truncateHistory(store, ds, revs, inUse);
    const waits = [...live.values()].flat().map((p) => msUntilAvailable(p, minReady, now)).filter((ms): ms is number => ms !== undefined);
    if (waits.length > 0) loop.requeueAfter(key, Math.min(...waits) + 10);
  }

  /**
   * Kubernetes' rolling update without surge: old-hash pods that are not available are replaced at
   * once; available ones only while fewer than maxUnavailable nodes are unavailable.
   */
  async function rollingUpdate(ds: DaemonSet, hash: string, desired: Node[], ownOn: Map<string, Pod[]>, live: Map<string, Pod[]>, now: number): Promise<void> {
    const minReady = ds.spec.minReadySeconds ?? 0;
    const maxUnavailable = Math.max(1, scaledValue(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable, desired.length, true, 1));
    let unavailable = 0;
    const replaceNow: Pod[] = [];
    const candidates: Pod[] = [];
    for (const node of desired) {
      const nodeName = node.metadata.name;
      const hasAnyPod = (ownOn.get(nodeName) ?? []).length > 0 || (live.get(nodeName) ?? []).length > 0;
      if (!hasAnyPod) continue;
      const pod = live.get(nodeName)?.[0];
      if (!pod) {
        unavailable++;
        continue;
      }
      const available = isPodAvailable(pod, minReady, now);
      if (pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash) {
        if (!available) unavailable++;
      } else if (!available) {
        replaceNow.push(pod);
      } else if (unavailable < maxUnavailable) {
        candidates.push(pod);
      }
    }
    const room = Math.max(0, Math.min(maxUnavailable - unavailable - replaceNow.length, candidates.length));
    for (const pod of [...replaceNow, ...candidates.slice(0, room)]) {
      await deletePod(ds, pod, 'rolling update');
      live.set(pod.spec.nodeName ?? '', []);
    }
  }

  const loop = createReconcileLoop({
    name: DAEMONSET_CONTROLLER,
    logger,
    reconcile,
    resyncMs: opts.resyncMs,
    ...(opts.minReconcileIntervalMs !== undefined ? { minIntervalMs: opts.minReconcileIntervalMs } : {}),
    listKeys: async () => cache.kind<DaemonSet>('DaemonSet').list().map(objectKey),
  });

  function enqueueAll(): void {
    for (const key of cache.kind<DaemonSet>('DaemonSet').list().map(objectKey)) loop.enqueue(key);
  }

  function onNode(event: CacheEvent): void {
    const node = event.object as Node;
    const name = node.metadata.name;
    if (event.type === 'DELETED') nodeFingerprints.delete(name);
    else {
      const fingerprint = nodeSchedulingFingerprint(node);
      if (nodeFingerprints.get(name) === fingerprint) return;
      nodeFingerprints.set(name, fingerprint);
    }
    enqueueAll();
  }

  return loopController(loop, logger, () => {
    liveSnapshot = createLiveSnapshot(cache);
    for (const node of cache.kind<Node>('Node').list()) nodeFingerprints.set(node.metadata.name, nodeSchedulingFingerprint(node));
    return [
      cache.kind('DaemonSet').subscribe((e) => {
        if (e.type !== 'DELETED') loop.enqueue(objectKey(e.object));
      }),
      cache.kind('Node').subscribe(onNode),
      cache.kind('Pod').subscribe((e) => {
        const owner = controllerKey(e.object, 'DaemonSet');
        if (owner !== undefined) loop.enqueue(owner);
      }),
      () => liveSnapshot?.close(),
    ];
  });
}

/**
 * The node lifecycle controller: what happens to a node's pods when the node stops answering.
 *
 * node-health.ts says whether a node is Ready (Unknown when its lease ends at the MQTT last will
 * or goes stale). From that, per node, level-triggered:
 * 1. taints (node-taints.ts): Ready=Unknown -> node.kubernetes.io/unreachable:NoExecute, Ready=False
 *    -> node.kubernetes.io/not-ready:NoExecute, removed when Ready=True again; spec.unschedulable ->
 *    node.kubernetes.io/unschedulable:NoSchedule. Events NodeNotReady / NodeReady and
 *    NodeNotSchedulable / NodeSchedulable on the node when they come and go.
 * 2. the pods of a node that is not Ready are marked Ready=False (reason NodeNotReady).
 * 3. taint-based eviction (taint-eviction.ts): a pod is deleted gracefully (the shared rule of
 *    pod-deletion.ts: it stays Terminating while its node exists) once its tolerations run out,
 *    with event TaintManagerEviction. Nodes are admitted to eviction for the not-ready/unreachable
 *    taints at a rate that depends on how much of the fleet is down (eviction-limiter.ts: 10 nodes
 *    a second; 1 when 55 % or more are not Ready; none when none is Ready). Its owner replaces it at once (terminating pods do not count);
 *    when the node comes back its desired set no longer holds the pod, the agent stops it and its
 *    full report completes the deletion, so nothing runs twice.
 * 4. pods bound to a node that no longer exists: a terminating one is deleted at once; any other
 *    after `orphanGraceMs` (Kubernetes' pod GC does the same after 40 s).
 *
 * Runs on reconcile-loop.ts: Node and Pod changes queue the node's name; `concurrency` (8) nodes
 * are reconciled at once, never one node twice; a node with an eviction pending is queued again
 * when it is due; every node is reconciled again every `resyncMs`. The fleet's Ready counts are
 * kept from the cache's Node events (never a list per node).
 */
import type { Node, Taint } from '../../../protocol/objects/node.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { podKey } from '../../../protocol/pod-helpers.js';
import { updateWithRetry } from '../../store/update-with-retry.js';
import type { Controller, ControllerOptions } from '../controller.js';
import { createReconcileLoop, DEFAULT_RESYNC_MS } from '../reconcile-loop.js';
import { hasNotReadyTaint, hasUnschedulableTaint, isNodeConditionTaint, nodeReadyStatus, reconcileTaints } from './node-taints.js';
import { deletePodGracefully } from '../../registry/pod-deletion.js';
import { markedNotReady } from './pod-not-ready.js';
import { evictionTime, noExecuteTaints } from './taint-eviction.js';
import { createEvictionLimiter, STOPPED_RECHECK_MS, type DisruptionState, type EvictionLimiterOptions, type FleetReadiness } from './eviction-limiter.js';
import { preciseTimestamp } from '../../../protocol/time.js';

export const DEFAULT_EVICTION_GRACE_MS = 30_000;
export const DEFAULT_ORPHAN_GRACE_MS = 40_000;
/** Nodes reconciled at once (Kubernetes' node lifecycle controller runs 8 workers). */
export const DEFAULT_NODE_LIFECYCLE_CONCURRENCY = 8;

export const NODE_CONTROLLER = 'node-controller';
export const TAINT_EVICTION_CONTROLLER = 'taint-eviction-controller';

export interface NodeLifecycleOptions extends ControllerOptions {
  /** How long a pod without a matching toleration stays on a not-ready/unreachable node (30 s). */
  evictionGraceMs?: number;
  /** How long a pod bound to a node that no longer exists is kept, unless it is terminating (40 s). */
  orphanGraceMs?: number;
  /** How often every node is reconciled again (10 s). */
  resyncMs?: number;
  /** Nodes reconciled at once (8). */
  concurrency?: number;
  /** Eviction rates and thresholds (eviction-limiter.ts). */
  eviction?: Omit<EvictionLimiterOptions, 'clock'>;
}

export interface NodeLifecycleController extends Controller {
  /** Reconcile every node, and the pods of nodes that are gone, now; resolves when done. */
  sync(): Promise<void>;
  /** Resolves once the queued work is done. */
  idle(): Promise<void>;
}

const nodeKey = (name: string) => ({ kind: 'Node', namespace: '', name });
const podObjectKey = (pod: Pod) => ({ kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name });

export async function createNodeLifecycleController(opts: NodeLifecycleOptions): Promise<NodeLifecycleController> {
  const { store, cache, clock, events } = opts;
  const logger = opts.logger.bindings().component === 'node-lifecycle' ? opts.logger : opts.logger.child({ component: 'node-lifecycle' });
  const evictionGraceMs = opts.evictionGraceMs ?? DEFAULT_EVICTION_GRACE_MS;
  const orphanGraceMs = opts.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS;
  const resyncMs = opts.resyncMs ?? DEFAULT_RESYNC_MS;

  /** Nodes last seen Ready with no NoExecute taint: their pods' changes need no look. */
  const healthy = new Set<string>();
  /** missing node -> uid of a pod bound to it -> when that was first seen. */
  const orphanSince = new Map<string, Map<string, number>>();
  const subscriptions: Array<() => void> = [];
  let stopped = false;
  const limiter = createEvictionLimiter({ ...opts.eviction, clock });
  /** Nodes admitted to eviction for the not-ready/unreachable taints (until they are healthy again). */
  const admitted = new Set<string>();
  /** node -> Ready=True, from the cache's Node events: the fleet's Ready counts without a list. */
  const readiness = new Map<string, boolean>();
  const fleet: FleetReadiness = { ready: 0, notReady: 0 };
  let loggedState: DisruptionState = 'normal';

  function trackReadiness(name: string, node: Node | undefined): void {
    const before = readiness.get(name);
    if (before === true) fleet.ready--;
    else if (before === false) fleet.notReady--;
    if (!node) {
      readiness.delete(name);
      return;
    }
    const ready = nodeReadyStatus(node) === 'True';
    readiness.set(name, ready);
    if (ready) fleet.ready++;
    else fleet.notReady++;
  }

  /** The fleet's disruption state, logged when it changes. */
  function disruption(): DisruptionState {
    const state = limiter.state(fleet);
    if (state !== loggedState) {
      const rate = limiter.rate(fleet);
      const fields = { ready: fleet.ready, notReady: fleet.notReady, evictionRate: rate };
      if (state === 'full') logger.warn(fields, 'no node is Ready: evictions from not-ready/unreachable nodes paused');
      else if (state === 'partial') logger.warn(fields, rate > 0 ? 'most nodes are not Ready: evictions slowed down' : 'most nodes are not Ready: evictions paused (small fleet)');
      else logger.info(fields, 'fleet healthy again: evictions at the normal rate');
      loggedState = state;
    }
    return state;
  }

  const iso = () => preciseTimestamp(clock());
  const nodeRef = (node: Node) => ({ apiVersion: 'v1', kind: 'Node', name: node.metadata.name, ...(node.metadata.uid ? { uid: node.metadata.uid } : {}) });

  /** Taints in line with the node's conditions; events on transitions. Returns the node as stored. */
  async function reconcileNodeTaints(node: Node): Promise<Node> {
    let before = node.spec?.taints;
    const result = await updateWithRetry<Node>(store, nodeKey(node.metadata.name), (current) => {
      before = current.spec?.taints;
      const taints = reconcileTaints(current, iso());
      if (!taints) return undefined;
      const spec = { ...current.spec };
      if (taints.length > 0) spec.taints = taints;
      else delete spec.taints;
      return { ...current, spec };
    });
    if (result.outcome === 'notFound') return node;
    const after = result.object;
    if (result.outcome !== 'updated') return after;
    const name = after.metadata.name;
    const wasNotReady = hasNotReadyTaint(before);
    const isNotReady = hasNotReadyTaint(after.spec?.taints);
    const readyReason = after.status?.conditions?.find((c) => c.type === 'Ready')?.reason;
    if (!wasNotReady && isNotReady) {
      logger.warn({ node: name, ready: nodeReadyStatus(after), reason: readyReason }, 'node is not ready: tainted NoExecute');
      // A node that has never reported is not news; one that stopped is.
      if (readyReason !== 'NodeStatusNeverUpdated') {
        await events.record(nodeRef(after), 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`, { component: NODE_CONTROLLER });
      }
    } else if (wasNotReady && !isNotReady) {
      logger.info({ node: name }, 'node is ready again: NoExecute taint removed');
      await events.record(nodeRef(after), 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`, { component: NODE_CONTROLLER });
    }
    const wasCordoned = hasUnschedulableTaint(before);
    const isCordoned = hasUnschedulableTaint(after.spec?.taints);
    if (wasCordoned !== isCordoned) {
      const status = isCordoned ? 'NodeNotSchedulable' : 'NodeSchedulable';
      logger.info({ node: name, unschedulable: isCordoned }, isCordoned ? 'node cordoned: tainted unschedulable' : 'node uncordoned');
      await events.record(nodeRef(after), 'Normal', status, `Node ${name} status is now: ${status}`, { component: NODE_CONTROLLER });
    }
    return after;
  }

  /** Mark the node's pods not ready, re-reading the node before each write: it may be back already. */
  async function markPodsNotReady(nodeName: string, pods: Pod[]): Promise<void> {
    for (const pod of pods) {
      if (!markedNotReady(pod, nodeName, iso())) continue;
      const node = await store.get<Node>(nodeKey(nodeName));
      if (!node || nodeReadyStatus(node) === 'True') return;
      const result = await updateWithRetry<Pod>(store, podObjectKey(pod), (current) =>
        current.metadata.uid === pod.metadata.uid && current.spec.nodeName === nodeName ? markedNotReady(current, nodeName, iso()) : undefined,
      );
      if (result.outcome === 'updated') logger.info({ node: nodeName, pod: podKey(pod) }, 'pod marked not ready: its node is not ready');
    }
  }

  async function evict(pod: Pod, nodeName: string, taints: readonly Taint[]): Promise<void> {
    const deleted = await deletePodGracefully(store, podObjectKey(pod), { clock, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) });
    if (!deleted) return;
    logger.warn({ node: nodeName, pod: podKey(pod), taints: taints.map((t) => `${t.key}:${t.effect}`) }, 'pod evicted from a tainted node: marked for deletion');
    await events.record(
      { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) },
      'Normal',
      'TaintManagerEviction',
      `Marking for deletion Pod ${podKey(pod)}`,
      { component: TAINT_EVICTION_CONTROLLER },
    );
  }

  /** Evict the pods whose time has come; returns the earliest time still pending. */
  async function evictPods(node: Node, pods: Pod[]): Promise<number | undefined> {
    const name = node.metadata.name;
    const taints = noExecuteTaints(node.spec?.taints);
    if (taints.length === 0) return undefined;
    // Kubernetes' full disruption: when no node at all is Ready, the hub is more likely cut off than
    // every node dead, and evicting would only restart everything once they are back. The
    // not-ready/unreachable taints then evict nobody; look again later.
    const conditionTainted = hasNotReadyTaint(taints);
    const paused = conditionTainted && disruption() === 'full';
    const considered = paused ? taints.filter((t) => !isNodeConditionTaint(t)) : taints;
    const userTaints = taints.filter((t) => !isNodeConditionTaint(t));
    const now = clock();
    let next: number | undefined = paused ? now + STOPPED_RECHECK_MS : undefined;
    let admittedNow = !conditionTainted || admitted.has(name);
    let refusedFor: number | undefined;
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp) continue;
      const at = evictionTime(pod, considered, evictionGraceMs, clock());
      if (at === undefined) continue;
      if (at > clock()) {
        next = Math.min(next ?? at, at);
        continue;
      }
      if (!admittedNow) {
        // due because of the node's condition: the node waits for its turn (a user's taint does not)
        const userAt = userTaints.length > 0 ? evictionTime(pod, userTaints, evictionGraceMs, clock()) : undefined;
        if (userAt === undefined || userAt > clock()) {
          refusedFor ??= limiter.admit(fleet);
          if (refusedFor === 0) {
            admitted.add(name);
            admittedNow = true;
            logger.info({ node: name, ready: fleet.ready, notReady: fleet.notReady }, 'node admitted to eviction');
          } else {
            next = Math.min(next ?? clock() + refusedFor, clock() + refusedFor);
            continue;
          }
        }
      }
      await evict(pod, name, taints);
    }
    return next;
  }

  /** Pods bound to a node that does not exist; returns when to look again. */
  async function collectOrphans(nodeName: string): Promise<number | undefined> {
    const items = cache.kind<Pod>('Pod').onNode(nodeName);
    const seen = orphanSince.get(nodeName) ?? new Map<string, number>();
    const still = new Map<string, number>();
    let next: number | undefined;
    for (const pod of items) {
      const uid = pod.metadata.uid ?? podKey(pod);
      const now = clock();
      const since = seen.get(uid) ?? now;
      const terminating = Boolean(pod.metadata.deletionTimestamp);
      if (!terminating && now < since + orphanGraceMs) {
        still.set(uid, since);
        next = Math.min(next ?? since + orphanGraceMs, since + orphanGraceMs);
        continue;
      }
      // The node is gone, so the shared rule deletes at once.
      const deleted = await deletePodGracefully(store, podObjectKey(pod), { clock, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) });
      if (deleted) logger.warn({ node: nodeName, pod: podKey(pod), terminating }, 'pod of a node that no longer exists deleted');
    }
    if (still.size > 0) orphanSince.set(nodeName, still);
    else orphanSince.delete(nodeName);
    return next;
  }

  async function reconcileNode(name: string): Promise<number | undefined> {
    const stored = await store.get<Node>(nodeKey(name));
    if (!stored) {
      healthy.delete(name);
      admitted.delete(name);
      return collectOrphans(name);
    }
    orphanSince.delete(name);
    const node = await reconcileNodeTaints(stored);
    const ready = nodeReadyStatus(node) === 'True';
    const taints = noExecuteTaints(node.spec?.taints);
    if (!hasNotReadyTaint(taints)) admitted.delete(name);
    if (ready && taints.length === 0) {
      healthy.add(name);
      return undefined;
    }
    healthy.delete(name);
    const pods = cache.kind<Pod>('Pod').onNode(name);
    if (!ready) await markPodsNotReady(name, pods);
    return evictPods(node, pods);
  }

  /** Every node, and every node name pods are bound to (some may be gone). */
  async function listKeys(): Promise<string[]> {
    const names = new Set(cache.kind<Node>('Node').list().map((n) => n.metadata.name));
    for (const pod of cache.kind<Pod>('Pod').list()) if (pod.spec.nodeName) names.add(pod.spec.nodeName);
    return [...names];
  }

  const loop = createReconcileLoop({
    name: 'node-lifecycle',
    logger,
    resyncMs,
    listKeys,
    concurrency: opts.concurrency ?? DEFAULT_NODE_LIFECYCLE_CONCURRENCY,
    async reconcile(name) {
      const next = await reconcileNode(name);
      if (next !== undefined) loop.requeueAfter(name, Math.max(0, next - clock()));
    },
  });

  async function sync(): Promise<void> {
    for (const name of await listKeys()) loop.enqueue(name);
    await loop.idle();
  }

  return {
    async start() {
      if (stopped || subscriptions.length > 0) return;
      for (const node of cache.kind<Node>('Node').list()) trackReadiness(node.metadata.name, node);
      subscriptions.push(
        cache.kind<Node>('Node').subscribe((event) => {
          const name = event.object.metadata.name;
          trackReadiness(name, event.type === 'DELETED' ? undefined : event.object);
          if (event.type === 'DELETED') healthy.delete(name);
          loop.enqueue(name);
        }),
        cache.kind('Pod').subscribe((event) => {
          const nodeName = (event.object as Pod).spec?.nodeName;
          if (!nodeName) return;
          // A pod on a healthy node needs nothing from us; a new one is looked at in case the node is not.
          if (event.type === 'ADDED' || !healthy.has(nodeName)) loop.enqueue(nodeName);
        }),
      );
      await loop.start();
      await loop.idle();
      logger.info({ evictionGraceMs, orphanGraceMs, ...opts.eviction }, 'node lifecycle controller started');
    },
    async stop() {
      stopped = true;
      for (const unsubscribe of subscriptions.splice(0)) unsubscribe();
      await loop.stop();
    },
    sync,
    idle: () => loop.idle(),
  };
}

/**
 * Connects the scheduling library (hub/placement) to the cluster: a queue of unbound pods fed by the
 * informer cache, decisions on a live snapshot of the cache (nothing is listed per decision), and
 * binds written with compare-and-swap.
 *
 * Decisions are made in rounds: up to `batchSize` active pods are decided one after another on the
 * snapshot, each assumed onto its node so the next decision sees it; then their binds (or their
 * Unschedulable status) are written together, which the store commits in one transaction. A bind that
 * lost its compare-and-swap is forgotten by the snapshot and the pod goes round again.
 */
import type { Logger, Node, Pod } from '../../protocol/index.js';
import { isTerminal } from '../../protocol/pod-helpers.js';
import { kubeTimestamp } from '../../protocol/time.js';
import type { CacheEvent, ObjectCache } from '../cache/object-cache.js';
import { createEventRecorder, type EventRecorder, type InvolvedObject } from '../events/recorder.js';
import { createLiveSnapshot, type LiveSnapshot } from '../placement/live-snapshot.js';
import { nodeSchedulingFingerprint } from '../placement/node-fingerprint.js';
import { createNodeSampler, DEFAULT_PROFILE, schedulePod, type SchedulerProfile } from '../placement/schedule.js';
import { ConflictError, NotFoundError } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { BindConflictError } from './errors.js';
import { boundPod, isMarkedUnschedulable, unschedulablePod } from './pod-status.js';
import { createSchedulingQueue } from './queue.js';
import { podVolumeState } from '../placement/filters/volume-binding.js';
import type { PersistentVolumeClaim } from '../../protocol/objects/storage.js';
import { selectNodeForClaims } from './volume-selection.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
/** How many times one pod is decided again in a row when its compare-and-swap write conflicts. */
export const MAX_WRITE_ATTEMPTS = 5;
/** Most pods decided in one round before their writes go out together. */
export const DEFAULT_BATCH_SIZE = 256;

export interface SchedulerRunnerOptions {
  store: Store;
  /** The shared informer cache, started by the caller. */
  cache: ObjectCache;
  logger: Logger;
  clock?: () => number;
  /** Pods whose spec.schedulerName is this (or absent, for the default name) are ours. */
  schedulerName?: string;
  /** Shared with the controllers; one is created when absent. */
  events?: EventRecorder;
  profile?: SchedulerProfile;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  batchSize?: number;
}

export interface SchedulerRunner {
  /** Queue the unbound pods, follow the cache and start deciding. */
  start(): Promise<void>;
  /** Stop following the cache and the timers; resolves after the round in progress is written. Idempotent. */
  stop(): Promise<void>;
}

const podKeyOf = (pod: Pod): string => `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`;

function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

function podRef(pod: Pod): InvolvedObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name,
    ...(pod.metadata.uid !== undefined ? { uid: pod.metadata.uid } : {}),
    ...(pod.metadata.resourceVersion !== undefined ? { resourceVersion: pod.metadata.resourceVersion } : {}),
  };
}

/** One pod's decision in a round, and what happened to it while its write was out. */
interface Decision {
  key: string;
  pod: Pod;
  node: string | undefined;
  message: string;
  podChanged: boolean;
  clusterChanged: boolean;
}

export async function createSchedulerRunner(opts: SchedulerRunnerOptions): Promise<SchedulerRunner> {
  const { store, cache } = opts;
  // The caller may already have made our child logger; do not add the binding twice.
  const log = opts.logger.bindings().component === 'scheduler' ? opts.logger : opts.logger.child({ component: 'scheduler' });
  const clock = opts.clock ?? Date.now;
  const schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  const profile = opts.profile ?? DEFAULT_PROFILE;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const events = opts.events ?? (await createEventRecorder({ store, cache, logger: opts.logger, clock }));
  const source = { component: schedulerName };
  const pods = cache.kind<Pod>('Pod');
  const nodes = cache.kind<Node>('Node');
  const sampler = createNodeSampler();

  let running = false;
  let stopped = false;
  let snapshot: LiveSnapshot | undefined;
  const unsubscribes: Array<() => void> = [];
  let draining: Promise<void> | undefined;
  /** The pods of the round being written, by key. */
  const inFlight = new Map<string, Decision>();
  /** Pod generation at its last failed attempt: a spec change makes a backing-off pod active again. */
  const failedGeneration = new Map<string, number | undefined>();
  /** Conflicts in a row per pod, to give up on one that keeps changing. */
  const conflicts = new Map<string, number>();
  const nodeFingerprints = new Map<string, string>();

  const queue = createSchedulingQueue({
    onActive: () => kick(),
    initialBackoffMs: opts.initialBackoffMs,
    maxBackoffMs: opts.maxBackoffMs,
  });

  const isOurs = (pod: Pod): boolean => (pod.spec.schedulerName ?? DEFAULT_SCHEDULER_NAME) === schedulerName;
  const needsScheduling = (pod: Pod): boolean =>
    !pod.spec.nodeName && !pod.metadata.deletionTimestamp && !isTerminal(pod) && isOurs(pod);

  const forget = (key: string): void => {
    queue.forget(key);
    failedGeneration.delete(key);
    conflicts.delete(key);
  };

  function clusterEvent(why: string): void {
    for (const d of inFlight.values()) d.clusterChanged = true;
    if (queue.backingOffCount > 0) log.debug({ why, waiting: queue.backingOffCount }, 'cluster changed: retrying unschedulable pods');
    queue.moveAllToActive();
  }

  function onPodEvent(event: CacheEvent<Pod>): void {
    const pod = event.object;
    const key = podKeyOf(pod);
    const flying = inFlight.get(key);
    if (event.type === 'DELETED') {
      forget(key);
      if (flying) flying.podChanged = true;
      if (pod.spec.nodeName && !isTerminal(pod)) clusterEvent(`pod ${key} deleted`);
      return;
    }
    if (pod.spec.nodeName) {
      forget(key);
      if (event.type === 'MODIFIED' && isTerminal(pod) && !isTerminal(event.old ?? pod)) clusterEvent(`pod ${key} finished`);
      return;
    }
    if (!needsScheduling(pod)) {
      forget(key);
      return;
    }
    if (flying) {
      if (pod.metadata.generation !== flying.pod.metadata.generation) flying.podChanged = true;
      return;
    }
    if (queue.isActive(key)) return;
    if (queue.isBackingOff(key) && failedGeneration.get(key) === pod.metadata.generation) return;
    queue.add(key);
  }

  /** A claim bound (or gone): pods waiting for their volumes are decided again. */
  function onClaimEvent(event: CacheEvent<PersistentVolumeClaim>): void {
    const before = event.old?.spec.volumeName;
    if (event.type === 'DELETED' || (event.object.spec.volumeName && event.object.spec.volumeName !== before)) clusterEvent(`claim ${event.object.metadata.name} bound`);
  }

  function onNodeEvent(event: CacheEvent<Node>): void {
    const node = event.object;
    const name = node.metadata.name;
    if (event.type === 'DELETED') {
      nodeFingerprints.delete(name);
      return;
    }
    const fingerprint = nodeSchedulingFingerprint(node);
    if (nodeFingerprints.get(name) === fingerprint) return;
    nodeFingerprints.set(name, fingerprint);
    clusterEvent(`node ${name} ${event.type === 'ADDED' ? 'added' : 'changed'}`);
  }

  /** Decide up to batchSize active pods on the snapshot, assuming each. */
  function decideRound(): Decision[] {
    const round: Decision[] = [];
    for (let key = queue.next(); key !== undefined; key = round.length < batchSize ? queue.next() : undefined) {
      const { namespace, name } = splitKey(key);
      const pod = pods.get(namespace, name);
      if (!pod || !needsScheduling(pod)) {
        forget(key);
        continue;
      }
      const result = schedulePod(pod, snapshot!, profile, sampler);
      const decision: Decision = { key, pod, node: result.node, message: result.node === undefined ? result.message : '', podChanged: false, clusterChanged: false };
      if (result.node !== undefined) snapshot!.assume(pod, result.node);
      round.push(decision);
      inFlight.set(key, decision);
      if (round.length >= batchSize) break;
    }
    return round;
  }

  /** Write one decision: the bind, or the Unschedulable status; events after. */
  async function write(d: Decision): Promise<void> {
    const now = kubeTimestamp(clock());
    const { namespace, name } = splitKey(d.key);
    try {
      if (d.node !== undefined) {
        const waiting = podVolumeState(d.pod, snapshot!.storage).unbound;
        if (waiting.length > 0) {
          // its claims get their volumes on d.node first (volume-selection.ts); the pod is bound when they are
          await selectNodeForClaims(store, waiting, d.node);
          snapshot!.forget(d.pod);
          log.debug({ pod: d.key, node: d.node, claims: waiting.map((w) => w.claim.metadata.name) }, 'claims waiting for their first consumer: node selected');
          queue.backoff(d.key);
          return;
        }
        const bound = await store.update<Pod>(boundPod(d.pod, d.node, now), { expectedResourceVersion: d.pod.metadata.resourceVersion });
        forget(d.key);
        log.debug({ pod: d.key, node: d.node }, 'pod bound');
        void events.record(podRef(bound), 'Normal', 'Scheduled', `Successfully assigned ${namespace || 'default'}/${name} to ${d.node}`, source);
        return;
      }
      let current = d.pod;
      if (!isMarkedUnschedulable(d.pod, d.message)) {
        current = await store.update<Pod>(unschedulablePod(d.pod, d.message, now), { expectedResourceVersion: d.pod.metadata.resourceVersion });
        log.info({ pod: d.key, message: d.message }, 'pod is unschedulable');
      } else {
        log.debug({ pod: d.key, message: d.message }, 'pod is still unschedulable');
      }
      void events.record(podRef(current), 'Warning', 'FailedScheduling', d.message, source);
      failedGeneration.set(d.key, d.pod.metadata.generation);
      conflicts.delete(d.key);
      // The snapshot may predate a change that lets the pod fit: try again now rather than wait.
      if (d.podChanged || d.clusterChanged) queue.add(d.key);
      else queue.backoff(d.key);
    } catch (err) {
      if (d.node !== undefined) snapshot!.forget(d.pod);
      if (err instanceof NotFoundError) {
        log.debug({ pod: d.key }, 'pod deleted while being scheduled');
        forget(d.key);
        return;
      }
      if (err instanceof ConflictError) {
        const n = (conflicts.get(d.key) ?? 0) + 1;
        conflicts.set(d.key, n);
        if (n < MAX_WRITE_ATTEMPTS) {
          log.debug({ pod: d.key, attempt: n }, 'pod changed under the write; deciding again');
          queue.add(d.key);
          return;
        }
        conflicts.delete(d.key);
        log.error({ err: new BindConflictError(d.key, n, { cause: err }), pod: d.key }, 'scheduling attempt failed; backing off');
      } else {
        log.error({ err, pod: d.key }, 'scheduling attempt failed; backing off');
      }
      queue.backoff(d.key);
    }
  }

  async function drain(): Promise<void> {
    while (running && queue.activeCount > 0) {
      const round = decideRound();
      try {
        await Promise.all(round.map((d) => write(d)));
      } finally {
        for (const d of round) inFlight.delete(d.key);
      }
      // let I/O (MQTT keepalives, the API) run between rounds
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  function kick(): void {
    if (!running || draining) return;
    draining = drain()
      .catch((err: unknown) => log.error({ err }, 'scheduling round failed'))
      .finally(() => {
        draining = undefined;
        if (running && queue.activeCount > 0) kick();
      });
  }

  return {
    async start() {
      if (running || stopped) return;
      snapshot = createLiveSnapshot(cache);
      for (const node of nodes.list()) nodeFingerprints.set(node.metadata.name, nodeSchedulingFingerprint(node));
      running = true;
      const guard =
        <T extends Pod | Node | PersistentVolumeClaim>(what: string, handler: (event: CacheEvent<T>) => void) =>
        (event: CacheEvent<T>): void => {
          try {
            handler(event);
          } catch (err) {
            log.error({ err, what, type: event.type, name: event.object.metadata.name }, 'scheduler failed to handle a change');
          }
        };
      unsubscribes.push(pods.subscribe(guard('pod', onPodEvent)), nodes.subscribe(guard('node', onNodeEvent)));
      if (cache.holds('PersistentVolumeClaim')) unsubscribes.push(cache.kind<PersistentVolumeClaim>('PersistentVolumeClaim').subscribe(guard('claim', onClaimEvent)));
      for (const pod of pods.list()) if (needsScheduling(pod)) queue.add(podKeyOf(pod));
      log.info({ schedulerName, nodes: nodes.size(), pending: queue.activeCount }, 'scheduler started');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      running = false;
      for (const u of unsubscribes.splice(0)) u();
      queue.close();
      await draining;
      snapshot?.close();
      log.info('scheduler stopped');
    },
  };
}

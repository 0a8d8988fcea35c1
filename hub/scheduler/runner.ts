import type { Logger, Node, Pod } from '../../protocol/index.js';
import { ConflictError, NotFoundError } from '../store/errors.js';
import type { Store, Watch, WatchEvent } from '../store/store.js';
import { createEventRecorder, type EventRecorder, type InvolvedObject } from '../events/recorder.js';
import { kubeTimestamp } from '../../protocol/time.js';
import { BindConflictError } from './errors.js';
import { isTerminal } from '../../protocol/pod-helpers.js';
import { boundPod, isMarkedUnschedulable, unschedulablePod } from './pod-status.js';
import { createSchedulingQueue } from './queue.js';
import { DEFAULT_PROFILE, schedulePod, type SchedulerProfile } from '../placement/schedule.js';
import { retryOnConflict } from '../store/update-with-retry.js';
import { nodeSchedulingFingerprint } from '../placement/node-fingerprint.js';
import { snapshotFromObjects, type ClusterSnapshot } from '../placement/snapshot.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
/** How many times one decision is re-read and retried when its compare-and-swap write conflicts. */
export const MAX_WRITE_ATTEMPTS = 5;

export interface SchedulerRunnerOptions {
  store: Store;
  logger: Logger;
  clock?: () => number;
  /** Pods whose spec.schedulerName is this (or absent, for the default name) are ours. */
  schedulerName?: string;
  /** Shared with the controllers; one is created when absent. */
  events?: EventRecorder;
  profile?: SchedulerProfile;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface SchedulerRunner {
  /** List pods and nodes, watch both, and start deciding. Resolves once the watches are open. */
  start(): Promise<void>;
  /** Close the watches and timers; resolves after the decision in progress is written. Idempotent. */
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

/**
 * Connects the scheduling library to the store: a queue of unbound pods fed by a watch, one decision
 * at a time on a fresh snapshot of the store, bound with a compare-and-swap update.
 */
export async function createSchedulerRunner(opts: SchedulerRunnerOptions): Promise<SchedulerRunner> {
  const { store } = opts;
  // The caller may already have made our child logger; do not add the binding twice.
  const log = opts.logger.bindings().component === 'scheduler' ? opts.logger : opts.logger.child({ component: 'scheduler' });
  const clock = opts.clock ?? Date.now;
  const schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  const profile = opts.profile ?? DEFAULT_PROFILE;
  const events = opts.events ?? (await createEventRecorder({ store, logger: opts.logger, clock }));
  const source = { component: schedulerName };

  let running = false;
  let stopped = false;
  let watches: Watch[] = [];
  let draining: Promise<void> | undefined;
  /** The pod being decided on, and what happened meanwhile that makes its failure worth retrying at once. */
  let inFlight: { key: string; generation: number | undefined; podChanged: boolean; clusterChanged: boolean } | undefined;
  /** Pod generation at its last failed attempt: a spec change makes a backing-off pod active again. */
  const failedGeneration = new Map<string, number | undefined>();
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
  };

  function clusterEvent(why: string): void {
    if (inFlight) inFlight.clusterChanged = true;
    if (queue.backingOffCount > 0) log.debug({ why, waiting: queue.backingOffCount }, 'cluster changed: retrying unschedulable pods');
    queue.moveAllToActive();
  }

  function onPodEvent(event: WatchEvent): void {
    const pod = event.object as Pod;
    const key = podKeyOf(pod);
    if (event.type === 'DELETED') {
      forget(key);
      if (inFlight?.key === key) inFlight.podChanged = true;
      if (pod.spec.nodeName && !isTerminal(pod)) clusterEvent(`pod ${key} deleted`);
      return;
    }
    if (pod.spec.nodeName) {
      forget(key);
      if (event.type === 'MODIFIED' && isTerminal(pod)) clusterEvent(`pod ${key} finished`);
      return;
    }
    if (!needsScheduling(pod)) {
      forget(key);
      return;
    }
    if (inFlight?.key === key) {
      if (pod.metadata.generation !== inFlight.generation) inFlight.podChanged = true;
      return;
    }
    if (queue.isActive(key)) return;
    if (queue.isBackingOff(key) && failedGeneration.get(key) === pod.metadata.generation) return;
    queue.add(key);
  }

  function onNodeEvent(event: WatchEvent): void {
    const node = event.object as Node;
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

  const guarded =
    (what: string, handler: (event: WatchEvent) => void) =>
    (event: WatchEvent): void => {
      try {
        handler(event);
      } catch (err) {
        log.error({ err, what, type: event.type, name: event.object.metadata.name }, 'scheduler failed to handle a watch event');
      }
    };

  async function loadSnapshot(): Promise<ClusterSnapshot> {
    const [nodes, pods] = await Promise.all([store.list<Node>('Node'), store.list<Pod>('Pod')]);
    return snapshotFromObjects(nodes.items, pods.items);
  }

  /** One attempt on one pod. Throws ConflictError when the pod changed under the write. */
  async function decide(pod: Pod, key: string): Promise<'bound' | 'unschedulable'> {
    const snapshot = await loadSnapshot();
    const result = schedulePod(pod, snapshot, profile);
    const now = kubeTimestamp(clock());
    const { namespace, name } = splitKey(key);
    if (result.node !== undefined) {
      const bound = await store.update<Pod>(boundPod(pod, result.node, now), {
        expectedResourceVersion: pod.metadata.resourceVersion,
      });
      log.info({ pod: key, node: result.node, score: result.score }, 'pod bound');
      await events.record(podRef(bound), 'Normal', 'Scheduled', `Successfully assigned ${namespace || 'default'}/${name} to ${result.node}`, source);
      return 'bound';
    }
    let current = pod;
    if (!isMarkedUnschedulable(pod, result.message)) {
      current = await store.update<Pod>(unschedulablePod(pod, result.message, now), {
        expectedResourceVersion: pod.metadata.resourceVersion,
      });
      log.info({ pod: key, message: result.message }, 'pod is unschedulable');
    } else {
      log.debug({ pod: key, message: result.message }, 'pod is still unschedulable');
    }
    await events.record(podRef(current), 'Warning', 'FailedScheduling', result.message, source);
    return 'unschedulable';
  }

  async function processOne(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const state = { key, generation: undefined as number | undefined, podChanged: false, clusterChanged: false };
    inFlight = state;
    try {
      // A pod that changed under the write is read again and decided again (bind conflicts).
      const decided = await retryOnConflict(
        async (): Promise<{ pod: Pod; outcome: 'bound' | 'unschedulable' } | undefined> => {
          const pod = await store.get<Pod>({ kind: 'Pod', namespace, name });
          if (!pod || !needsScheduling(pod)) return undefined;
          state.generation = pod.metadata.generation;
          try {
            return { pod, outcome: await decide(pod, key) };
          } catch (err) {
            if (err instanceof NotFoundError) {
              log.debug({ pod: key }, 'pod deleted while being scheduled');
              return undefined;
            }
            throw err;
          }
        },
        {
          attempts: MAX_WRITE_ATTEMPTS,
          onRetry: (attempt) => log.debug({ pod: key, attempt }, 'pod changed under the write; reading it again'),
        },
      ).catch((err: unknown) => {
        throw err instanceof ConflictError ? new BindConflictError(key, MAX_WRITE_ATTEMPTS, { cause: err }) : err;
      });
      if (!decided) {
        forget(key);
        return;
      }
      if (decided.outcome === 'bound') {
        forget(key);
      } else {
        failedGeneration.set(key, decided.pod.metadata.generation);
        // The snapshot may predate a change that lets the pod fit: try again now rather than wait.
        if (state.podChanged || state.clusterChanged) queue.add(key);
        else queue.backoff(key);
      }
    } catch (err) {
      log.error({ err, pod: key }, 'scheduling attempt failed; backing off');
      queue.backoff(key);
    } finally {
      inFlight = undefined;
    }
  }

  async function drain(): Promise<void> {
    for (let key = queue.next(); running && key !== undefined; key = queue.next()) {
      await processOne(key);
    }
  }

  function kick(): void {
    if (!running || draining) return;
    draining = drain().finally(() => {
      draining = undefined;
      if (running && queue.activeCount > 0) kick();
    });
  }

  return {
    async start() {
      if (running || stopped) return;
      const nodes = await store.list<Node>('Node');
      for (const node of nodes.items) nodeFingerprints.set(node.metadata.name, nodeSchedulingFingerprint(node));
      const pods = await store.list<Pod>('Pod');
      running = true;
      // Watch from the first list's revision: whatever changed since is replayed, which is harmless.
      watches = [
        store.watch({ kind: 'Pod', fromRevision: nodes.revision }, guarded('pod', onPodEvent)),
        store.watch({ kind: 'Node', fromRevision: nodes.revision }, guarded('node', onNodeEvent)),
      ];
      for (const pod of pods.items) if (needsScheduling(pod)) queue.add(podKeyOf(pod));
      log.info({ schedulerName, nodes: nodes.items.length, pending: queue.activeCount }, 'scheduler started');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      running = false;
      for (const w of watches) w.close();
      watches = [];
      queue.close();
      await draining;
      log.info('scheduler stopped');
    },
  };
}

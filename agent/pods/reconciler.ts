/**
 * The reconciler: the pass loop that makes the runtime match the desired set, level-triggered. Each pass
 * lists the containers labelled for this node and hands each pod to the pod worker (pod-worker.ts), one
 * operation in flight per pod (pod-dispatch.ts), so a slow image pull or a long grace period does not
 * hold up the others: a desired pod is synced, a pod no longer desired (or marked for deletion) is
 * stopped and removed. Pods that are neither wanted nor have containers left are forgotten.
 *
 * Until the first desired set is given (setDesired), a pass touches nothing: the agent does not know yet what
 * this node should run (its stored set missing or damaged, the hub not heard from), and a container it cannot
 * account for is left as it is, never stopped, as the kubelet waits for its sources before it removes a pod.
 * Pod directories, records and sandboxes stay too, and no observation goes out (no pod status is reported
 * for pods the agent knows nothing of).
 *
 * Passes run on every desired-set change, when a pod's work changed something (in the runtime or the
 * pod's records), on runtime events (ContainerRuntime.watch), when a back-off ends, and every
 * intervalMs (a resync). After each pass `onObserved` gets what was seen, from which pod status is
 * computed. killContainer() is how a failed liveness/startup probe restarts a container: the pod worker
 * stops it with its grace period, and the restart policy and back-off take over.
 */
import type { Logger } from '../../protocol/logger.js';
import type { Pod } from '../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../protocol/pod-helpers.js';
import type { ContainerInfo, ContainerRuntime, RuntimeWatch } from '../../runtime-adapters/runtime.js';
import { podUid, type DesiredSet } from '../desired-set.js';
import { NO_POD_NETWORK, type PodSandboxes } from '../pod-sandbox.js';
import type { PodServiceEnv } from '../pod-services.js';
import type { ContainerRecords } from './container-records.js';
import { countMutations } from './counting-runtime.js';
import { createPodDispatch } from './pod-dispatch.js';
import type { PodEventSink } from './pod-events.js';
import { claimVolumeLookupFrom } from '../local-volumes.js';
import { configLookupFrom } from './pod-config.js';
import { listPodDirs, removePodDir } from './pod-volumes.js';
import { createPodWorker, type KillRequest } from './pod-worker.js';
import { createWakeTimer } from './wake-timer.js';
import type { HubImageSource } from '../../runtime-adapters/hub-images.js';

export const DEFAULT_RECONCILE_INTERVAL_MS = 2_000;
/**
 * With a runtime that reports container starts and exits (ContainerRuntime.watch), passes follow those
 * events and each back-off's end, and the periodic pass is only a resync: listing containers means running
 * the runtime's CLI, which is what an idle agent on a small device spends its CPU on.
 */
export const WATCHED_RESYNC_INTERVAL_MS = 15_000;

/** What one pass saw: the input of pod status. */
export interface Observation {
  desired: DesiredSet | undefined;
  /** The runtime's containers for this node, by pod uid. */
  containersByPod: Map<string, ContainerInfo[]>;
  /** The last known spec of every pod the agent has seen in a desired set and not yet cleaned up. */
  knownPods: Map<string, Pod>;
  /** Clock time of the pass. */
  at: number;
}

export interface ReconcilerOptions {
  runtime: ContainerRuntime;
  records: ContainerRecords;
  nodeName: string;
  dataDir: string;
  logger: Logger;
  clock?: () => number;
  intervalMs?: number;
  onObserved?: (observation: Observation) => void;
  /** Where pod events go (Pulling, Started, Killing, BackOff, ...). */
  events?: PodEventSink;
  /** The hub's registry, for images pushed to the hub. */
  hubImages?: HubImageSource;
  /** The node's pod network: each pod's sandbox (default: none, the runtime's own network). */
  sandboxes?: PodSandboxes;
  /** The node's Services as containers' environment variables (default: none). */
  serviceEnv?: PodServiceEnv;
}

export interface Reconciler {
  /** The set to run. Before the first call the reconciler holds every container as it is (above). */
  setDesired(set: DesiredSet): void;
  /** True until the first desired set is given. */
  holding(): boolean;
  /** Ask for a pass soon (coalesced with any pending one). */
  trigger(): void;
  start(): void;
  /** Stop the loop and wait for in-flight pod work. Leaves every container as it is. */
  stop(): Promise<void>;
  /** One pass that also waits for the pod work it started (for tests and shutdown-free callers). */
  reconcileOnce(): Promise<void>;
  /** Ask for a container instance to be killed by its pod worker (soon, on the next pass). */
  killContainer(request: KillRequest): void;
}

/** The runtime's containers by pod uid (containers without one are not Drover's pods). */
function byPod(containers: ContainerInfo[]): Map<string, ContainerInfo[]> {
  const out = new Map<string, ContainerInfo[]>();
  for (const info of containers) {
    const uid = info.labels[RUNTIME_LABELS.podUid];
    if (!uid) continue;
    let list = out.get(uid);
    if (!list) out.set(uid, (list = []));
    list.push(info);
  }
  return out;
}

export function createReconciler(opts: ReconcilerOptions): Reconciler {
  const { records, nodeName, dataDir } = opts;
  // pod work that changed nothing (no runtime call counted here, same records) starts no pass
  const { runtime, mutations } = countMutations(opts.runtime);
  const clock = opts.clock ?? Date.now;
  const intervalMs = opts.intervalMs ?? (runtime.watch ? WATCHED_RESYNC_INTERVAL_MS : DEFAULT_RECONCILE_INTERVAL_MS);
  const log = opts.logger.child({ component: 'reconciler' });
  const sandboxes = opts.sandboxes ?? NO_POD_NETWORK;
  /** Sandboxes of pods gone while the agent was away are pruned after the first pass and after each new desired set. */
  let pruneDue = true;

  let desired: DesiredSet | undefined;
  const knownPods = new Map<string, Pod>();
  let passChain: Promise<void> = Promise.resolve();
  let dirty = false;
  let looping = false;
  /** The background loop runs between start() and stop(); reconcileOnce() works without it. */
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let watch: RuntimeWatch | undefined;
  /** Wakes the loop at the earliest back-off end, so a restart is not left waiting for the next resync. */
  const wake = createWakeTimer(() => trigger(), clock);
  let lastListError: string | undefined;
  let holdLogged = false;

  const worker = createPodWorker({
    runtime,
    records,
    nodeName,
    dataDir,
    // the current desired set's ConfigMaps/Secrets, read at use (env when a container is created, volume files every sync)
    config: configLookupFrom(() => desired?.config),
    claims: claimVolumeLookupFrom(() => desired?.volumes),
    clock,
    logger: log,
    events: opts.events,
    hubImages: opts.hubImages,
    sandboxes,
    serviceEnv: opts.serviceEnv,
    wakeAt(due) {
      if (started && !stopped) wake.wakeAt(due);
    },
  });
  const dispatch = createPodDispatch({ records, mutations, onChanged: () => trigger(), isStopped: () => stopped, logger: log });

  async function pass(waitForWork: boolean): Promise<void> {
    const epochOf = dispatch.epochs();
    let containers: ContainerInfo[];
    try {
      containers = await runtime.list({ [RUNTIME_LABELS.node]: nodeName });
      if (lastListError) log.info('the container runtime answers again');
      lastListError = undefined;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== lastListError) log.error({ err }, 'cannot list containers from the runtime; retrying');
      lastListError = message;
      return;
    }
    const at = clock();
    const containersByPod = byPod(containers);
    if (!desired) {
      if (!holdLogged) {
        holdLogged = true;
        log.warn({ pods: containersByPod.size, containers: containers.length }, 'no desired set yet: every container is left as it is until the hub sends one');
      }
      return;
    }
    const work: Promise<void>[] = [];
    const keep = (p: Promise<void> | undefined): void => {
      if (p) work.push(p);
    };
    const runWanted = new Set<string>();
    for (const pod of desired.pods) {
      const uid = podUid(pod);
      knownPods.set(uid, pod);
      if (pod.metadata.deletionTimestamp) continue;
      runWanted.add(uid);
      const podContainers = containersByPod.get(uid) ?? [];
      keep(dispatch.run(uid, epochOf(uid), 'sync', () => worker.sync(pod, podContainers)));
    }
    for (const [uid, podContainers] of containersByPod) {
      if (runWanted.has(uid)) continue;
      keep(dispatch.run(uid, epochOf(uid), 'kill', () => worker.stopAndRemove(uid, podContainers, knownPods.get(uid))));
    }
    // Forget pods that are neither wanted nor have containers left, and their leftovers.
    const desiredUids = new Set(desired.pods.map(podUid));
    for (const uid of new Set([...knownPods.keys(), ...records.podUids(), ...(await listPodDirs(dataDir))])) {
      if (runWanted.has(uid) || containersByPod.has(uid) || dispatch.isBusy(uid)) continue;
      if (!desiredUids.has(uid)) knownPods.delete(uid);
      records.forgetPod(uid);
      dispatch.forget(uid);
      await removePodDir(dataDir, uid);
    }
    if (pruneDue) {
      pruneDue = false;
      const keep = new Set([...runWanted, ...containersByPod.keys(), ...[...knownPods.keys()].filter((uid) => dispatch.isBusy(uid))]);
      try {
        await sandboxes.prune(keep);
      } catch (err) {
        pruneDue = true;
        log.warn({ err }, 'could not prune the sandboxes of pods that are gone');
      }
    }
    opts.onObserved?.({ desired, containersByPod, knownPods: new Map(knownPods), at });
    if (waitForWork) await Promise.all(work);
  }

  function runPass(waitForWork: boolean): Promise<void> {
    const run = passChain.then(() => pass(waitForWork));
    passChain = run.catch((err: unknown) => log.error({ err }, 'reconcile pass failed'));
    return run;
  }

  async function loop(): Promise<void> {
    looping = true;
    try {
      while (dirty && !stopped) {
        dirty = false;
        // a failed pass is logged by runPass; the next trigger or tick runs another
        await runPass(false).catch(() => undefined);
      }
    } finally {
      looping = false;
    }
  }

  function trigger(): void {
    if (!started || stopped) return;
    dirty = true;
    if (!looping) void loop();
  }

  return {
    setDesired(set) {
      if (!desired && holdLogged) log.info({ generation: set.generation, pods: set.pods.length }, 'a desired set arrived: reconciling the node against it');
      desired = set;
      pruneDue = true;
      trigger();
    },
    holding: () => desired === undefined,
    trigger,
    start() {
      started = true;
      stopped = false;
      timer = setInterval(trigger, intervalMs);
      timer.unref?.();
      watch = runtime.watch?.((reason) => {
        log.debug({ reason }, 'runtime event');
        trigger();
      });
      trigger();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      wake.clear();
      watch?.stop();
      await passChain;
      await dispatch.settled();
      await records.save();
    },
    reconcileOnce: () => runPass(true),
    killContainer(request) {
      worker.requestKill(request);
      trigger();
    },
  };
}

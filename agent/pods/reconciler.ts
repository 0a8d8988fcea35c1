/**
 * The reconciler: makes the runtime match the desired set, level-triggered. Each pass lists the
 * containers labelled for this node, then hands each pod to its own pod worker (one operation in flight
 * per pod, so a slow image pull or a long grace period does not hold up the others):
 *   - a desired pod: start missing containers (image per imagePullPolicy), replace those whose spec
 *     hash changed, restart exited ones per restartPolicy with back-off, adopt those already right;
 *   - a pod no longer desired (or marked for deletion): stop with its grace period, then remove.
 * Passes run on every desired-set change, when a pod worker changed something (in the runtime or the
 * pod's records), on runtime events (ContainerRuntime.watch), when a back-off ends, and every intervalMs.
 * After each pass `onObserved` gets what was seen, from which pod status is computed.
 * What happens to pods is told to `events` in the kubelet's words (Pulling, Pulled, Created, Started,
 * Killing, BackOff, Failed). killContainer() is how a failed liveness/startup probe restarts a container:
 * the pod worker stops it with its grace period, and the restart policy and back-off take over.
 */
import type { Logger } from '../../protocol/logger.js';
import type { Container, Pod } from '../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../protocol/pod-helpers.js';
import { ContainerExistsError, ImageNotFoundError } from '../../runtime-adapters/errors.js';
import type { ContainerInfo, ContainerRuntime, PullPolicy, RuntimeWatch } from '../../runtime-adapters/runtime.js';
import { backoffAfterExit, formatDuration, nextBackoff } from './backoff.js';
import { countMutations } from './counting-runtime.js';
import { podNamespace, podUid, type DesiredSet } from '../desired-set.js';
import type { ContainerRecord, ContainerRecords, TerminatedRecord, WaitingRecord } from './container-records.js';
import { ContainerConfigError } from '../errors.js';
import { podRefOf, type PodEventSink, type PodEventType, type PodRef } from './pod-events.js';
import {
  containerSpecHash,
  graceSecondsOf,
  pullPolicyOf,
  restartPolicyOf,
  toContainerSpec,
} from './pod-runtime.js';
import { listPodDirs, preparePodVolumes, removePodDir } from './pod-volumes.js';
import { configLookupFrom } from './pod-config.js';
import { createWakeTimer } from './wake-timer.js';

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
}

/** Kill a running container instance (a failed liveness or startup probe); the restart policy decides what follows. */
export interface KillRequest {
  podUid: string;
  container: string;
  /** Only this instance: a container that was restarted meanwhile is left alone. */
  containerId: string;
  /** The Killing event's message. */
  message: string;
  /** Grace period; default the pod's. */
  graceSeconds?: number;
}

export interface Reconciler {
  setDesired(set: DesiredSet | undefined): void;
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

interface PodWorker {
  busy: boolean;
  /** Completed operations; a pass that listed containers before a completion does not dispatch. */
  epoch: number;
}

export function shouldRestart(policy: 'Always' | 'OnFailure' | 'Never', exitCode: number | undefined): boolean {
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return exitCode !== 0;
  return false;
}

export function createReconciler(opts: ReconcilerOptions): Reconciler {
  const { records, nodeName, dataDir } = opts;
  // a pod worker that changed nothing (no runtime call counted here, same records) starts no pass
  const { runtime, mutations } = countMutations(opts.runtime);
  const clock = opts.clock ?? Date.now;
  const intervalMs = opts.intervalMs ?? (runtime.watch ? WATCHED_RESYNC_INTERVAL_MS : DEFAULT_RECONCILE_INTERVAL_MS);
  const log = opts.logger.child({ component: 'reconciler' });
  // the current desired set's ConfigMaps/Secrets, read at use (env when a container is created, volume files every sync)
  const ctx = { nodeName, dataDir, config: configLookupFrom(() => desired?.config) };

  let desired: DesiredSet | undefined;
  const knownPods = new Map<string, Pod>();
  const workers = new Map<string, PodWorker>();
  const inFlight = new Set<Promise<void>>();
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
  /** Kill requests by `uid/container`. */
  const pendingKills = new Map<string, KillRequest>();

  function wakeAt(due: number): void {
    if (started && !stopped) wake.wakeAt(due);
  }

  function event(pod: PodRef, container: string | undefined, type: PodEventType, reason: string, message: string): void {
    opts.events?.record(pod, container, type, reason, message);
  }

  function worker(uid: string): PodWorker {
    let w = workers.get(uid);
    if (!w) workers.set(uid, (w = { busy: false, epoch: 0 }));
    return w;
  }

  /** Run `work` on the pod's worker unless it is busy or finished something since `epoch`. */
  function dispatch(uid: string, epochAtList: number, what: string, work: () => Promise<void>): Promise<void> | undefined {
    const w = worker(uid);
    if (w.busy || w.epoch !== epochAtList || stopped) return undefined;
    w.busy = true;
    const mutationsBefore = mutations();
    const recordsBefore = records.podSnapshot(uid);
    let changed = false;
    const run = (async () => {
      try {
        await work();
      } catch (err) {
        log.error({ err, podUid: uid, what }, 'pod work failed; it is retried on the next pass');
      } finally {
        w.busy = false;
        w.epoch++;
        changed = mutations() !== mutationsBefore || records.podSnapshot(uid) !== recordsBefore;
      }
      try {
        await records.save();
      } catch (err) {
        log.error({ err }, 'could not save container records');
      }
    })();
    inFlight.add(run);
    // run never rejects: every failure above is logged. What the work changed is looked at by another
    // pass at once; work that changed nothing (an adopted container, a back-off still running) waits for
    // the next event, back-off end or periodic pass.
    void run.then(() => {
      inFlight.delete(run);
      if (changed) trigger();
    });
    return run;
  }

  function setWaiting(rec: ContainerRecord, waiting: WaitingRecord | undefined, pod: Pod, container: string): void {
    if (waiting && rec.waiting?.reason !== waiting.reason) {
      log.warn({ pod: `${podNamespace(pod)}/${pod.metadata.name}`, container, reason: waiting.reason, message: waiting.message }, 'container waiting');
    }
    if (waiting) rec.waiting = waiting;
    else delete rec.waiting;
  }

  function terminatedFrom(info: ContainerInfo): TerminatedRecord {
    const exitCode = info.exitCode ?? 0;
    const t: TerminatedRecord = { exitCode, reason: info.reason ?? (exitCode === 0 ? 'Completed' : 'Error'), containerID: `${runtime.name}://${info.id}` };
    if (info.startedAt) t.startedAt = info.startedAt;
    if (info.finishedAt) t.finishedAt = info.finishedAt;
    return t;
  }

  /**
   * Make the container's image present per its pull policy, telling events what happened: "already
   * present on machine" without pulling, else Pulling / Pulled. A presence check (policy Never) comes
   * first so that the events say whether a pull happened.
   */
  async function pullImage(pod: Pod, container: Container, policy: PullPolicy): Promise<void> {
    const ref = podRefOf(pod);
    const image = container.image;
    if (policy !== 'Always') {
      try {
        await runtime.ensureImage(image, 'Never');
        event(ref, container.name, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return;
      } catch (err) {
        if (policy === 'Never' || !(err instanceof ImageNotFoundError)) throw err;
      }
    }
    event(ref, container.name, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const began = clock();
    await runtime.ensureImage(image, policy);
    const took = `${((clock() - began) / 1000).toFixed(3)}s`;
    event(ref, container.name, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took}`);
  }

  /** Create and start one container. Failures become the record's waiting reason with back-off. */
  async function createAndStart(pod: Pod, container: Container, rec: ContainerRecord): Promise<void> {
    const now = clock();
    const ref = podRefOf(pod);
    if (rec.retryAfter !== undefined && now < rec.retryAfter) return wakeAt(rec.retryAfter); // still backing off; waiting reason stays
    if (rec.pullRetryAfter !== undefined && now < rec.pullRetryAfter) {
      wakeAt(rec.pullRetryAfter);
      if (rec.waiting?.reason !== 'ImagePullBackOff') {
        event(ref, container.name, 'Normal', 'BackOff', `Back-off pulling image "${container.image}"`);
        event(ref, container.name, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      }
      setWaiting(rec, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${container.image}"` }, pod, container.name);
      return;
    }
    const policy = pullPolicyOf(container);
    try {
      await pullImage(pod, container, policy);
    } catch (err) {
      rec.pullBackoffMs = nextBackoff(rec.pullBackoffMs);
      rec.pullRetryAfter = now + rec.pullBackoffMs;
      wakeAt(rec.pullRetryAfter);
      const reason = policy === 'Never' && err instanceof ImageNotFoundError ? 'ErrImageNeverPull' : 'ErrImagePull';
      if (reason === 'ErrImageNeverPull') {
        event(ref, container.name, 'Warning', 'ErrImageNeverPull', `Container image "${container.image}" is not present with pull policy of Never`);
      } else {
        event(ref, container.name, 'Warning', 'Failed', `Failed to pull image "${container.image}": ${(err as Error).message}`);
      }
      event(ref, container.name, 'Warning', 'Failed', `Error: ${reason}`);
      setWaiting(rec, { reason, message: (err as Error).message }, pod, container.name);
      return;
    }
    rec.pullBackoffMs = 0;
    delete rec.pullRetryAfter;

    let spec;
    try {
      spec = toContainerSpec(pod, container, ctx);
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      if (rec.waiting?.reason !== 'CreateContainerConfigError' || rec.waiting.message !== err.message) {
        event(ref, container.name, 'Warning', 'Failed', `Error: ${err.message}`);
      }
      setWaiting(rec, { reason: 'CreateContainerConfigError', message: err.message }, pod, container.name);
      return;
    }
    let id: string;
    try {
      id = await runtime.create(spec);
    } catch (err) {
      failStart(rec, pod, container, 'CreateContainerError', err, now);
      if (err instanceof ContainerExistsError) {
        log.warn({ name: spec.name }, 'a container with this name exists but is not labelled for this node; remove it by hand');
      }
      return;
    }
    event(ref, container.name, 'Normal', 'Created', `Created container ${container.name}`);
    try {
      await runtime.start(id);
    } catch (err) {
      failStart(rec, pod, container, 'RunContainerError', err, now);
      await runtime.remove(id);
      return;
    }
    event(ref, container.name, 'Normal', 'Started', `Started container ${container.name}`);
    setWaiting(rec, undefined, pod, container.name);
    rec.runningSince = clock();
    delete rec.retryAfter;
    delete rec.exitCountedFor;
    log.info({ pod: `${podNamespace(pod)}/${pod.metadata.name}`, container: container.name, id }, 'container started');
  }

  function failStart(rec: ContainerRecord, pod: Pod, container: Container, reason: string, err: unknown, now: number): void {
    event(podRefOf(pod), container.name, 'Warning', 'Failed', `Error: ${(err as Error).message}`);
    rec.backoffMs = nextBackoff(rec.backoffMs);
    rec.retryAfter = now + rec.backoffMs;
    wakeAt(rec.retryAfter);
    setWaiting(rec, { reason, message: (err as Error).message }, pod, container.name);
  }

  async function handleExited(pod: Pod, container: Container, info: ContainerInfo, rec: ContainerRecord): Promise<void> {
    if (!shouldRestart(restartPolicyOf(pod), info.exitCode)) {
      setWaiting(rec, undefined, pod, container.name);
      return;
    }
    const now = clock();
    if (rec.exitCountedFor !== info.id) {
      rec.backoffMs = backoffAfterExit(rec.backoffMs, ranFor(rec, info));
      rec.retryAfter = now + rec.backoffMs;
      rec.exitCountedFor = info.id;
      delete rec.runningSince;
      event(
        podRefOf(pod),
        container.name,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${container.name} in pod ${pod.metadata.name}_${podNamespace(pod)}(${podUid(pod)})`,
      );
    }
    if (rec.retryAfter !== undefined && now < rec.retryAfter) {
      wakeAt(rec.retryAfter);
      const message = `back-off ${formatDuration(rec.backoffMs)} restarting failed container=${container.name} pod=${pod.metadata.name}_${podNamespace(pod)}(${podUid(pod)})`;
      setWaiting(rec, { reason: 'CrashLoopBackOff', message }, pod, container.name);
      return;
    }
    rec.lastTerminated = terminatedFrom(info);
    await runtime.remove(info.id);
    rec.restartCount++;
    delete rec.retryAfter;
    await createAndStart(pod, container, rec);
  }

  function ranFor(rec: ContainerRecord, info: ContainerInfo): number | undefined {
    if (rec.runningSince !== undefined) return clock() - rec.runningSince;
    if (info.startedAt && info.finishedAt) return Date.parse(info.finishedAt) - Date.parse(info.startedAt);
    return undefined;
  }

  async function syncPod(pod: Pod, containers: ContainerInfo[]): Promise<void> {
    const uid = podUid(pod);
    const grace = graceSecondsOf(pod);
    const specNames = new Set(pod.spec.containers.map((c) => c.name));
    const byName = new Map<string, ContainerInfo>();
    for (const info of containers) {
      const name = info.labels[RUNTIME_LABELS.container] ?? '';
      if (specNames.has(name)) byName.set(name, info);
      else {
        log.info({ podUid: uid, container: name, id: info.id }, 'removing a container the pod no longer has');
        if (info.state === 'running') event(podRefOf(pod), name, 'Normal', 'Killing', `Stopping container ${name}`);
        await runtime.stop(info.id, grace);
        await runtime.remove(info.id);
        records.forgetContainer(uid, name);
      }
    }
    try {
      await preparePodVolumes(pod, dataDir, ctx.config);
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      for (const c of pod.spec.containers) {
        if (byName.get(c.name)?.state !== 'running') {
          setWaiting(records.get(uid, c.name), { reason: 'CreateContainerConfigError', message: err.message }, pod, c.name);
        }
      }
      return;
    }
    // Containers start in spec order, as the kubelet starts them.
    for (const container of pod.spec.containers) {
      const rec = records.get(uid, container.name);
      let info = byName.get(container.name);
      if (info && info.labels[RUNTIME_LABELS.specHash] !== containerSpecHash(pod, container)) {
        log.info({ pod: `${podNamespace(pod)}/${pod.metadata.name}`, container: container.name }, 'container spec changed: replacing it');
        if (info.state === 'running') {
          event(podRefOf(pod), container.name, 'Normal', 'Killing', `Container ${container.name} definition changed, will be restarted`);
        }
        await runtime.stop(info.id, grace);
        rec.lastTerminated = terminatedFrom(await runtime.inspect(info.id));
        await runtime.remove(info.id);
        rec.restartCount++;
        delete rec.retryAfter;
        delete rec.exitCountedFor;
        rec.backoffMs = 0;
        info = undefined;
      }
      if (!info) {
        await createAndStart(pod, container, rec);
        continue;
      }
      const killKey = `${uid}/${container.name}`;
      const kill = pendingKills.get(killKey);
      if (kill && (info.state !== 'running' || kill.containerId !== info.id)) pendingKills.delete(killKey);
      switch (info.state) {
        case 'running':
          if (kill?.containerId === info.id) {
            pendingKills.delete(killKey);
            await killForRestart(pod, container, info, rec, kill);
            break;
          }
          // adopted after an agent restart, or still running since we started it
          rec.runningSince ??= clock();
          setWaiting(rec, undefined, pod, container.name);
          break;
        case 'created': {
          // created but never started (the agent stopped in between): start it now
          if (rec.retryAfter !== undefined && clock() < rec.retryAfter) {
            wakeAt(rec.retryAfter);
            break;
          }
          try {
            await runtime.start(info.id);
            rec.runningSince = clock();
            setWaiting(rec, undefined, pod, container.name);
          } catch (err) {
            failStart(rec, pod, container, 'RunContainerError', err, clock());
            await runtime.remove(info.id);
          }
          break;
        }
        case 'exited':
          await handleExited(pod, container, info, rec);
          break;
        case 'unknown':
          log.warn({ id: info.id, container: container.name }, 'container state unknown to the runtime; leaving it');
          break;
      }
    }
  }

  /** A failed liveness/startup probe: stop this instance, then let the restart policy and back-off decide. */
  async function killForRestart(pod: Pod, container: Container, info: ContainerInfo, rec: ContainerRecord, kill: KillRequest): Promise<void> {
    const grace = kill.graceSeconds ?? graceSecondsOf(pod);
    log.info({ pod: `${podNamespace(pod)}/${pod.metadata.name}`, container: container.name, id: info.id, grace }, kill.message);
    event(podRefOf(pod), container.name, 'Normal', 'Killing', kill.message);
    await runtime.stop(info.id, grace);
    const after = await runtime.inspect(info.id);
    if (after.state === 'exited') await handleExited(pod, container, after, rec);
  }

  async function killPod(uid: string, containers: ContainerInfo[], pod: Pod | undefined): Promise<void> {
    const grace = graceSecondsOf(pod);
    const name = pod ? `${podNamespace(pod)}/${pod.metadata.name}` : containers[0]?.labels[RUNTIME_LABELS.podName];
    log.info({ pod: name, podUid: uid, grace }, 'stopping a pod that is no longer desired');
    const first = containers[0]?.labels ?? {};
    const ref: PodRef = pod
      ? podRefOf(pod)
      : { uid, name: first[RUNTIME_LABELS.podName] ?? uid, namespace: first[RUNTIME_LABELS.podNamespace] ?? 'default' };
    for (const key of pendingKills.keys()) if (key.startsWith(`${uid}/`)) pendingKills.delete(key);
    await Promise.all(
      containers.map(async (info) => {
        const container = info.labels[RUNTIME_LABELS.container] ?? info.name;
        if (info.state === 'running') event(ref, container, 'Normal', 'Killing', `Stopping container ${container}`);
        if (info.state === 'running') await runtime.stop(info.id, grace);
        await runtime.remove(info.id);
      }),
    );
    records.forgetPod(uid);
    await removePodDir(dataDir, uid);
  }

  async function pass(waitForWork: boolean): Promise<void> {
    const epochs = new Map([...workers].map(([uid, w]) => [uid, w.epoch]));
    const epochOf = (uid: string): number => epochs.get(uid) ?? worker(uid).epoch;
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
    const containersByPod = new Map<string, ContainerInfo[]>();
    for (const info of containers) {
      const uid = info.labels[RUNTIME_LABELS.podUid];
      if (!uid) continue;
      let list = containersByPod.get(uid);
      if (!list) containersByPod.set(uid, (list = []));
      list.push(info);
    }
    const started: Promise<void>[] = [];
    const keep = (p: Promise<void> | undefined): void => {
      if (p) started.push(p);
    };
    const runWanted = new Set<string>();
    for (const pod of desired?.pods ?? []) {
      const uid = podUid(pod);
      knownPods.set(uid, pod);
      if (pod.metadata.deletionTimestamp) continue;
      runWanted.add(uid);
      const podContainers = containersByPod.get(uid) ?? [];
      keep(dispatch(uid, epochOf(uid), 'sync', () => syncPod(pod, podContainers)));
    }
    for (const [uid, podContainers] of containersByPod) {
      if (runWanted.has(uid)) continue;
      keep(dispatch(uid, epochOf(uid), 'kill', () => killPod(uid, podContainers, knownPods.get(uid))));
    }
    // Forget pods that are neither wanted nor have containers left, and their leftovers.
    const desiredUids = new Set((desired?.pods ?? []).map(podUid));
    for (const uid of new Set([...knownPods.keys(), ...records.podUids(), ...(await listPodDirs(dataDir))])) {
      if (runWanted.has(uid) || containersByPod.has(uid) || workers.get(uid)?.busy) continue;
      if (!desiredUids.has(uid)) knownPods.delete(uid);
      records.forgetPod(uid);
      workers.delete(uid);
      await removePodDir(dataDir, uid);
    }
    opts.onObserved?.({ desired, containersByPod, knownPods: new Map(knownPods), at });
    if (waitForWork) await Promise.all(started);
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
      desired = set;
      trigger();
    },
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
      await Promise.all([...inFlight]);
      await records.save();
    },
    reconcileOnce: () => runPass(true),
    killContainer(request) {
      pendingKills.set(`${request.podUid}/${request.container}`, request);
      trigger();
    },
  };
}

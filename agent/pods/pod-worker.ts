/**
 * Everything done for one pod, one operation at a time (pod-dispatch.ts sees to that):
 *   - sync, for a desired pod: remove containers the spec no longer has, prepare its volumes, then in
 *     spec order start missing containers (image per imagePullPolicy, image-pull.ts), replace those whose
 *     spec hash changed, start created ones, restart exited ones per restartPolicy with back-off, adopt
 *     running ones, and kill an instance a failed liveness/startup probe asked to kill;
 *   - stopAndRemove, for a pod no longer desired (or marked for deletion): stop with its grace period,
 *     remove, forget its records and directory.
 * Before a dead instance is removed to make the next, its output is kept for `logs --previous`
 * (agent/previous-logs.ts, in the pod's directory).
 * Failures to create or start become the container's waiting reason with back-off (records in
 * container-records.ts); what happens is told to `events` in the kubelet's words (Created, Started,
 * Killing, BackOff, Failed). A back-off that ends later calls `wakeAt`, so the pass loop comes back then.
 */
import type { Logger } from '../../protocol/logger.js';
import type { Container, Pod } from '../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../protocol/pod-helpers.js';
import { ContainerExistsError, RunAsRootError } from '../../runtime-adapters/errors.js';
import type { ContainerInfo, ContainerRuntime } from '../../runtime-adapters/runtime.js';
import { podNamespace, podUid } from '../desired-set.js';
import { ContainerConfigError, PodNetworkError } from '../errors.js';
import { NO_POD_NETWORK, type PodSandbox, type PodSandboxes } from '../pod-sandbox.js';
import { NO_SERVICE_ENV, type PodServiceEnv } from '../pod-services.js';
import { forgetPreviousLog, keepPreviousLog } from '../previous-logs.js';
import { backoffAfterExit, formatDuration, nextBackoff } from './backoff.js';
import type { ContainerRecord, ContainerRecords, TerminatedRecord, WaitingRecord } from './container-records.js';
import { createImagePull } from './image-pull.js';
import type { HubImageSource } from '../../runtime-adapters/hub-images.js';
import type { ConfigLookup } from './pod-config.js';
import { noClaimVolumes, type ClaimVolumeLookup } from '../local-volumes.js';
import { podRefOf, type PodEventSink, type PodRef } from './pod-events.js';
import { containerSpecHash, graceSecondsOf, restartPolicyOf, shouldRestart, toContainerSpec } from './pod-runtime.js';
import { preparePodVolumes, removePodDir } from './pod-volumes.js';

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

export interface PodWorkerOptions {
  runtime: ContainerRuntime;
  records: ContainerRecords;
  nodeName: string;
  dataDir: string;
  /** The current desired set's ConfigMaps/Secrets, read at use (env at create, volume files every sync). */
  config: ConfigLookup;
  /** The current desired set's claims and their volumes (persistentVolumeClaim volumes); none when absent. */
  claims?: ClaimVolumeLookup | undefined;
  clock: () => number;
  logger: Logger;
  events?: PodEventSink | undefined;
  /** The hub's registry, for images pushed to the hub (image-pull.ts). */
  hubImages?: HubImageSource | undefined;
  /** Come back at this clock time (a back-off's end). */
  wakeAt: (due: number) => void;
  /** The node's pod network: each pod's sandbox (default: none, the runtime's own network). */
  sandboxes?: PodSandboxes | undefined;
  /** The node's Services as environment variables, read when a container is created (default: none). */
  serviceEnv?: PodServiceEnv | undefined;
}

/** How soon a pod whose sandbox could not be made is tried again. */
export const SANDBOX_RETRY_MS = 5_000;

export interface PodWorker {
  /** Bring a desired pod's containers in line with its spec. */
  sync(pod: Pod, containers: ContainerInfo[]): Promise<void>;
  /** Stop and remove a pod that is no longer desired (its spec, if still known), then forget it. */
  stopAndRemove(uid: string, containers: ContainerInfo[], pod: Pod | undefined): Promise<void>;
  /** Kill a container instance on the pod's next sync. */
  requestKill(request: KillRequest): void;
}

export function createPodWorker(opts: PodWorkerOptions): PodWorker {
  const { runtime, records, dataDir, clock, wakeAt, logger: log } = opts;
  const sandboxes = opts.sandboxes ?? NO_POD_NETWORK;
  /** The last sandbox failure per pod, so its event is recorded once per message. */
  const sandboxFailures = new Map<string, string>();
  const ctx = { nodeName: opts.nodeName, dataDir, config: opts.config, serviceEnv: opts.serviceEnv ?? NO_SERVICE_ENV, claims: opts.claims ?? noClaimVolumes };
  const event: PodEventSink['record'] = (...args) => opts.events?.record(...args);
  /** Kill requests by `uid/container`. */
  const pendingKills = new Map<string, KillRequest>();
  const images = createImagePull({ runtime, clock, events: opts.events, hubImages: opts.hubImages, wakeAt, setWaiting });

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

  /** Create and start one container. Failures become the record's waiting reason with back-off. */
  async function createAndStart(pod: Pod, container: Container, rec: ContainerRecord, sandbox: PodSandbox): Promise<void> {
    const now = clock();
    const ref = podRefOf(pod);
    if (rec.retryAfter !== undefined && now < rec.retryAfter) return wakeAt(rec.retryAfter); // still backing off; waiting reason stays
    if (!(await images.ready(pod, container, rec, now))) return;

    let spec;
    try {
      spec = toContainerSpec(pod, container, ctx, sandbox);
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
      if (err instanceof RunAsRootError) {
        // the kubelet's CreateContainerConfigError, with its words: the pod stays Pending, tried again each pass
        const message = `${err.reason} (pod: "${pod.metadata.name}_${podNamespace(pod)}(${podUid(pod)})", container: ${container.name})`;
        if (rec.waiting?.reason !== 'CreateContainerConfigError' || rec.waiting.message !== message) event(ref, container.name, 'Warning', 'Failed', `Error: ${message}`);
        setWaiting(rec, { reason: 'CreateContainerConfigError', message }, pod, container.name);
        return;
      }
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

  async function handleExited(pod: Pod, container: Container, info: ContainerInfo, rec: ContainerRecord, sandbox: PodSandbox): Promise<void> {
    if (!shouldRestart(restartPolicyOf(pod), info.exitCode)) {
      setWaiting(rec, undefined, pod, container.name);
      return;
    }
    const now = clock();
    const podName = `${pod.metadata.name}_${podNamespace(pod)}(${podUid(pod)})`;
    if (rec.exitCountedFor !== info.id) {
      rec.backoffMs = backoffAfterExit(rec.backoffMs, ranFor(rec, info));
      rec.retryAfter = now + rec.backoffMs;
      rec.exitCountedFor = info.id;
      delete rec.runningSince;
      event(podRefOf(pod), container.name, 'Warning', 'BackOff', `Back-off restarting failed container ${container.name} in pod ${podName}`);
    }
    if (rec.retryAfter !== undefined && now < rec.retryAfter) {
      wakeAt(rec.retryAfter);
      const message = `back-off ${formatDuration(rec.backoffMs)} restarting failed container=${container.name} pod=${podName}`;
      setWaiting(rec, { reason: 'CrashLoopBackOff', message }, pod, container.name);
      return;
    }
    rec.lastTerminated = terminatedFrom(info);
    await keepPreviousLog(runtime, dataDir, { uid: podUid(pod), container: container.name, id: info.id }, log);
    await runtime.remove(info.id);
    rec.restartCount++;
    delete rec.retryAfter;
    await createAndStart(pod, container, rec, sandbox);
  }

  function ranFor(rec: ContainerRecord, info: ContainerInfo): number | undefined {
    if (rec.runningSince !== undefined) return clock() - rec.runningSince;
    if (info.startedAt && info.finishedAt) return Date.parse(info.finishedAt) - Date.parse(info.startedAt);
    return undefined;
  }

  /**
   * The spec changed, or the pod's sandbox was made anew (`why` sandbox): stop and remove the old instance
   * (its exit kept as lastState); a new one is created.
   */
  async function replace(pod: Pod, container: Container, info: ContainerInfo, rec: ContainerRecord, why: 'spec' | 'sandbox'): Promise<void> {
    log.info({ pod: `${podNamespace(pod)}/${pod.metadata.name}`, container: container.name, why }, `container ${why === 'spec' ? 'spec' : 'sandbox'} changed: replacing it`);
    if (info.state === 'running' && why === 'spec') {
      event(podRefOf(pod), container.name, 'Normal', 'Killing', `Container ${container.name} definition changed, will be restarted`);
    }
    await runtime.stop(info.id, graceSecondsOf(pod));
    rec.lastTerminated = terminatedFrom(await runtime.inspect(info.id));
    await keepPreviousLog(runtime, dataDir, { uid: podUid(pod), container: container.name, id: info.id }, log);
    await runtime.remove(info.id);
    rec.restartCount++;
    delete rec.retryAfter;
    delete rec.exitCountedFor;
    rec.backoffMs = 0;
  }

  /** A container that exists and has the right spec: keep it running, restart it, or kill it if asked. */
  async function keep(pod: Pod, container: Container, info: ContainerInfo, rec: ContainerRecord, sandbox: PodSandbox): Promise<void> {
    const killKey = `${podUid(pod)}/${container.name}`;
    const kill = pendingKills.get(killKey);
    if (kill && (info.state !== 'running' || kill.containerId !== info.id)) pendingKills.delete(killKey);
    switch (info.state) {
      case 'running':
        if (kill?.containerId === info.id) {
          pendingKills.delete(killKey);
          await killForRestart(pod, container, info, rec, kill, sandbox);
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
        await handleExited(pod, container, info, rec, sandbox);
        break;
      case 'unknown':
        log.warn({ id: info.id, container: container.name }, 'container state unknown to the runtime; leaving it');
        break;
    }
  }

  /** A failed liveness/startup probe: stop this instance, then let the restart policy and back-off decide. */
  async function killForRestart(pod: Pod, container: Container, info: ContainerInfo, rec: ContainerRecord, kill: KillRequest, sandbox: PodSandbox): Promise<void> {
    const grace = kill.graceSeconds ?? graceSecondsOf(pod);
    log.info({ pod: `${podNamespace(pod)}/${pod.metadata.name}`, container: container.name, id: info.id, grace }, kill.message);
    event(podRefOf(pod), container.name, 'Normal', 'Killing', kill.message);
    await runtime.stop(info.id, grace);
    const after = await runtime.inspect(info.id);
    if (after.state === 'exited') await handleExited(pod, container, after, rec, sandbox);
  }

  async function sync(pod: Pod, containers: ContainerInfo[]): Promise<void> {
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
        await forgetPreviousLog(dataDir, uid, name);
      }
    }
    try {
      await preparePodVolumes(pod, dataDir, ctx.config, ctx.claims);
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      for (const c of pod.spec.containers) {
        if (byName.get(c.name)?.state !== 'running') {
          setWaiting(records.get(uid, c.name), { reason: 'CreateContainerConfigError', message: err.message }, pod, c.name);
        }
      }
      return;
    }
    const sandbox = await podSandbox(pod, byName);
    if (!sandbox) return;
    const changed = [...byName.values()].some((info) => info.labels[RUNTIME_LABELS.sandbox] !== sandbox.id);
    if (changed) {
      log.info({ pod: `${podNamespace(pod)}/${pod.metadata.name}`, sandbox: sandbox.id }, 'pod sandbox changed: its containers are re-created');
      event(podRefOf(pod), undefined, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    }
    // Containers start in spec order, as the kubelet starts them.
    for (const container of pod.spec.containers) {
      const rec = records.get(uid, container.name);
      let info = byName.get(container.name);
      if (info && info.labels[RUNTIME_LABELS.sandbox] !== sandbox.id) {
        await replace(pod, container, info, rec, 'sandbox');
        info = undefined;
      } else if (info && info.labels[RUNTIME_LABELS.specHash] !== containerSpecHash(pod, container)) {
        await replace(pod, container, info, rec, 'spec');
        info = undefined;
      }
      if (info) await keep(pod, container, info, rec, sandbox);
      else await createAndStart(pod, container, rec, sandbox);
    }
  }

  /**
   * The pod's sandbox, made or found. When it cannot be made the pod's containers that do not run wait in
   * ContainerCreating with the reason (FailedCreatePodSandBox, as the kubelet says) and it is tried again soon.
   */
  async function podSandbox(pod: Pod, byName: Map<string, ContainerInfo>): Promise<PodSandbox | undefined> {
    const uid = podUid(pod);
    try {
      const sandbox = await sandboxes.ensure(pod);
      sandboxFailures.delete(uid);
      return sandbox;
    } catch (err) {
      if (!(err instanceof PodNetworkError)) throw err;
      if (sandboxFailures.get(uid) !== err.message) {
        event(podRefOf(pod), undefined, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${err.message}`);
      }
      sandboxFailures.set(uid, err.message);
      for (const c of pod.spec.containers) {
        if (byName.get(c.name)?.state !== 'running') setWaiting(records.get(uid, c.name), { reason: 'ContainerCreating', message: err.message }, pod, c.name);
      }
      wakeAt(clock() + SANDBOX_RETRY_MS);
      return undefined;
    }
  }

  async function stopAndRemove(uid: string, containers: ContainerInfo[], pod: Pod | undefined): Promise<void> {
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
    sandboxFailures.delete(uid);
    try {
      await sandboxes.release(uid);
    } catch (err) {
      log.warn({ err, podUid: uid }, 'could not tear down the pod sandbox; it is pruned later');
    }
    await removePodDir(dataDir, uid);
  }

  return {
    sync,
    stopAndRemove,
    requestKill(request) {
      pendingKills.set(`${request.podUid}/${request.container}`, request);
    },
  };
}

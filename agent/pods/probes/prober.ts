/**
 * The prober: runs each running container's startup, readiness and liveness probes the way the kubelet
 * does, and keeps the result per container instance.
 *
 *   - One worker per (container instance, probe kind). The first probe runs initialDelaySeconds after
 *     the agent saw the container running, then every periodSeconds (default 10); each attempt times
 *     out after timeoutSeconds (default 1).
 *   - A result only changes after successThreshold (default 1) successes or failureThreshold
 *     (default 3) failures in a row. Every failed attempt is an Unhealthy event.
 *   - The startup probe gates the others: until it succeeds, readiness and liveness are not run, the
 *     container is not `started` and not ready. Once it succeeds it is not run again for this instance.
 *   - Readiness starts as failure (not ready); no readiness probe means ready once started.
 *   - Liveness starts as success. Liveness or startup failing failureThreshold times calls onFailure:
 *     the reconciler kills the container, and the restart policy and back-off decide what follows.
 *     The worker then holds until a new container instance appears.
 *
 * sync() is fed every reconcile pass's observation (level-triggered): workers start for new running
 * containers and stop for those gone, restarted or deleted. A ready/started change calls onChange,
 * which makes the agent recompute and publish pod status.
 */
import type { Logger } from '../../../protocol/logger.js';
import type { Container, Pod, Probe } from '../../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import type { ContainerInfo, ContainerRuntime } from '../../../runtime-adapters/runtime.js';
import type { PodEventSink } from '../pod-events.js';
import { podRefOf } from '../pod-events.js';
import { podNamespace, podUid } from '../../desired-set.js';
import type { Observation } from '../reconciler.js';
import { runExecProbe } from './exec.js';
import { runHttpGetProbe } from './http-get.js';
import { failure, type ProbeOutcome } from './outcome.js';
import { runTcpSocketProbe } from './tcp-socket.js';

export type ProbeKind = 'startup' | 'readiness' | 'liveness';

export const PROBE_DEFAULTS = {
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
  initialDelaySeconds: 0,
} as const;

/** What the probes say about a container instance; pod-status.ts uses it for `ready` and `started`. */
export interface ProbeState {
  /** The container id the state is about. */
  containerId: string;
  started: boolean;
  ready: boolean;
}

export interface ProbeFailure {
  pod: Pod;
  container: string;
  containerId: string;
  kind: 'liveness' | 'startup';
  /** The kubelet's Killing message: "Container web failed liveness probe, will be restarted". */
  message: string;
  /** The probe's terminationGracePeriodSeconds when it has one. */
  graceSeconds?: number;
}

export interface ProberTimers {
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(timer: NodeJS.Timeout | undefined): void;
}

export interface ProberOptions {
  runtime: Pick<ContainerRuntime, 'exec'>;
  logger: Logger;
  clock?: () => number;
  /** Timer functions (default: the global ones); tests may pass fakes. */
  timers?: ProberTimers;
  events?: PodEventSink;
  /** The node's IP: the pod IP of host-network pods. */
  hostIP?: () => string | undefined;
  /** A pod's IP from its sandbox (the pod network), when it has one. */
  podIP?: (podUid: string) => string | undefined;
  /** A container's `ready` or `started` changed. */
  onChange?: () => void;
  /** Liveness or startup failed past its threshold: the container is to be killed. */
  onFailure?: (failure: ProbeFailure) => void;
}

export interface Prober {
  /** Start and stop workers to match a reconcile pass's observation. */
  sync(observation: Observation): void;
  /** The probe state of a container of a pod, if it has probes and runs. */
  state(podUid: string, container: string): ProbeState | undefined;
  /** Stop every worker. */
  stop(): void;
}

interface Worker {
  kind: ProbeKind;
  probe: Probe;
  lastResult: boolean | undefined;
  resultRun: number;
  onHold: boolean;
  stopped: boolean;
  timer: NodeJS.Timeout | undefined;
}

interface Entry {
  pod: Pod;
  container: Container;
  containerId: string;
  ip: string | undefined;
  started: boolean;
  /** The readiness result (meaningful only with a readiness probe). */
  readiness: boolean;
  workers: Worker[];
}

const kindTitle: Record<ProbeKind, string> = { startup: 'Startup', readiness: 'Readiness', liveness: 'Liveness' };

export function hasProbes(container: Container): boolean {
  return !!(container.startupProbe ?? container.readinessProbe ?? container.livenessProbe);
}

/** A probe's port: a number, or the name of one of the container's ports. */
export function resolveProbePort(port: number | string, container: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function entryState(e: Entry): ProbeState {
  const ready = e.started && (e.container.readinessProbe ? e.readiness : true);
  return { containerId: e.containerId, started: e.started, ready };
}

export function createProber(opts: ProberOptions): Prober {
  const log = opts.logger.child({ component: 'prober' });
  const clock = opts.clock ?? Date.now;
  const timers: ProberTimers = opts.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (t) => clearTimeout(t) };
  const entries = new Map<string, Entry>();
  let stopped = false;

  const keyOf = (uid: string, container: string): string => `${uid}/${container}`;

  function changed(): void {
    opts.onChange?.();
  }

  function stopWorkers(e: Entry): void {
    for (const w of e.workers) {
      w.stopped = true;
      timers.clearTimeout(w.timer);
    }
    e.workers = [];
  }

  function schedule(e: Entry, w: Worker, delayMs: number): void {
    if (w.stopped || stopped) return;
    w.timer = timers.setTimeout(() => {
      w.timer = undefined;
      void tick(e, w);
    }, Math.max(0, delayMs));
    w.timer.unref?.();
  }

  function runProbe(e: Entry, probe: Probe): Promise<ProbeOutcome> {
    const timeoutMs = (probe.timeoutSeconds ?? PROBE_DEFAULTS.timeoutSeconds) * 1000;
    const host = (): string => e.ip ?? '127.0.0.1';
    if (probe.exec) return runExecProbe({ runtime: opts.runtime, containerId: e.containerId, command: probe.exec.command, timeoutMs });
    if (probe.httpGet) {
      const port = resolveProbePort(probe.httpGet.port, e.container);
      if (port === undefined) return Promise.resolve(failure(`port "${String(probe.httpGet.port)}" is not a port of container ${e.container.name}`));
      return runHttpGetProbe({
        scheme: probe.httpGet.scheme ?? 'HTTP',
        host: probe.httpGet.host ?? host(),
        port,
        path: probe.httpGet.path ?? '/',
        headers: probe.httpGet.httpHeaders ?? [],
        timeoutMs,
      });
    }
    if (probe.tcpSocket) {
      const port = resolveProbePort(probe.tcpSocket.port, e.container);
      if (port === undefined) return Promise.resolve(failure(`port "${String(probe.tcpSocket.port)}" is not a port of container ${e.container.name}`));
      return runTcpSocketProbe({ host: probe.tcpSocket.host ?? host(), port, timeoutMs });
    }
    return Promise.resolve(failure('the probe names no handler (exec, httpGet or tcpSocket)'));
  }

  /** One probe attempt of one worker, then the next is scheduled. */
  async function tick(e: Entry, w: Worker): Promise<void> {
    if (w.stopped || stopped) return;
    const periodMs = (w.probe.periodSeconds ?? PROBE_DEFAULTS.periodSeconds) * 1000;
    const began = clock();
    if (w.kind === 'startup' && e.started) {
      w.stopped = true; // started: the startup probe has done its job for this instance
      return;
    }
    if ((w.kind !== 'startup' && !e.started) || w.onHold) {
      schedule(e, w, periodMs);
      return;
    }
    let outcome: ProbeOutcome;
    try {
      outcome = await runProbe(e, w.probe);
    } catch (err) {
      outcome = failure((err as Error).message);
    }
    if (w.stopped || stopped) return;
    const pod = `${podNamespace(e.pod)}/${e.pod.metadata.name}`;
    if (!outcome.success) {
      opts.events?.record(podRefOf(e.pod), e.container.name, 'Warning', 'Unhealthy', `${kindTitle[w.kind]} probe failed: ${outcome.output}`);
      log.debug({ pod, container: e.container.name, kind: w.kind, output: outcome.output }, 'probe failed');
    }
    apply(e, w, outcome);
    schedule(e, w, periodMs - (clock() - began));
  }

  /** The kubelet's threshold logic (prober worker.doProbe). */
  function apply(e: Entry, w: Worker, outcome: ProbeOutcome): void {
    const result = outcome.success;
    if (w.lastResult === result) w.resultRun++;
    else {
      w.lastResult = result;
      w.resultRun = 1;
    }
    const successThreshold = w.probe.successThreshold ?? PROBE_DEFAULTS.successThreshold;
    const failureThreshold = w.probe.failureThreshold ?? PROBE_DEFAULTS.failureThreshold;
    if ((!result && w.resultRun < failureThreshold) || (result && w.resultRun < successThreshold)) return;
    const pod = `${podNamespace(e.pod)}/${e.pod.metadata.name}`;
    switch (w.kind) {
      case 'startup':
        if (result) {
          if (!e.started) {
            e.started = true;
            log.info({ pod, container: e.container.name }, 'startup probe succeeded');
            changed();
          }
          w.stopped = true;
        } else fail(e, w, 'startup');
        break;
      case 'readiness':
        if (e.readiness !== result) {
          e.readiness = result;
          log.info({ pod, container: e.container.name, ready: result }, 'readiness changed');
          changed();
        }
        break;
      case 'liveness':
        if (!result) fail(e, w, 'liveness');
        break;
    }
  }

  function fail(e: Entry, w: Worker, kind: 'liveness' | 'startup'): void {
    w.onHold = true;
    w.resultRun = 0;
    const message = `Container ${e.container.name} failed ${kind} probe, will be restarted`;
    log.info({ pod: `${podNamespace(e.pod)}/${e.pod.metadata.name}`, container: e.container.name, containerId: e.containerId }, message);
    const f: ProbeFailure = { pod: e.pod, container: e.container.name, containerId: e.containerId, kind, message };
    if (w.probe.terminationGracePeriodSeconds !== undefined) f.graceSeconds = w.probe.terminationGracePeriodSeconds;
    opts.onFailure?.(f);
  }

  function startEntry(pod: Pod, container: Container, info: ContainerInfo): Entry {
    const e: Entry = {
      pod,
      container,
      containerId: info.id,
      ip: pod.spec.hostNetwork ? (opts.hostIP?.() ?? info.ip) : (opts.podIP?.(podUid(pod)) ?? info.ip),
      started: !container.startupProbe,
      readiness: false,
      workers: [],
    };
    const kinds: [ProbeKind, Probe | undefined][] = [
      ['startup', container.startupProbe],
      ['readiness', container.readinessProbe],
      ['liveness', container.livenessProbe],
    ];
    for (const [kind, probe] of kinds) {
      if (!probe) continue;
      const w: Worker = { kind, probe, lastResult: undefined, resultRun: 0, onHold: false, stopped: false, timer: undefined };
      e.workers.push(w);
      schedule(e, w, (probe.initialDelaySeconds ?? PROBE_DEFAULTS.initialDelaySeconds) * 1000);
    }
    return e;
  }

  return {
    sync(observation) {
      if (stopped) return;
      const seen = new Set<string>();
      let anyChange = false;
      for (const pod of observation.desired?.pods ?? []) {
        const uid = podUid(pod);
        const infos = observation.containersByPod.get(uid) ?? [];
        for (const container of pod.spec.containers) {
          if (!hasProbes(container)) continue;
          const key = keyOf(uid, container.name);
          const info = infos.find((i) => i.labels[RUNTIME_LABELS.container] === container.name);
          const current = entries.get(key);
          if (pod.metadata.deletionTimestamp) {
            // terminating: stop probing, keep the last word until the containers are gone
            if (current && info) {
              seen.add(key);
              stopWorkers(current);
            }
            continue;
          }
          if (!info || info.state !== 'running') continue;
          seen.add(key);
          if (current && current.containerId === info.id) {
            current.pod = pod;
            continue;
          }
          if (current) stopWorkers(current);
          entries.set(key, startEntry(pod, container, info));
          anyChange = true;
        }
      }
      for (const [key, e] of entries) {
        if (seen.has(key)) continue;
        stopWorkers(e);
        entries.delete(key);
        anyChange = true;
      }
      if (anyChange) log.debug({ containers: entries.size }, 'probe workers synced');
    },
    state(uid, container) {
      const e = entries.get(keyOf(uid, container));
      return e ? entryState(e) : undefined;
    },
    stop() {
      stopped = true;
      for (const e of entries.values()) stopWorkers(e);
      entries.clear();
    },
  };
}

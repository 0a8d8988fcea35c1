/**
 * Test support for the workload controllers: a real SQLite store with a fake clock, the controllers
 * running on it with a short resync, and a stand-in for the agents that writes pod status the way the
 * fleet layer would (phase Running, Ready condition True) and finishes graceful deletions.
 */
import { silentLogger, type Deployment, type Node, type Pod, type PodTemplateSpec } from '../../../protocol/index.js';
import type { Controller } from '../../../hub/controllers/controller.js';
import { createEventRecorder, type EventRecorder } from '../../../hub/events/recorder.js';
import { kubeTimestamp } from '../../../protocol/time.js';
import type { WorkloadControllerOptions } from '../../../hub/controllers/replicaset.js';
import type { Store } from '../../../hub/store/store.js';
import { tempStore } from './temp-store.js';

export const START = Date.parse('2026-03-01T10:00:00Z');

export interface Harness {
  store: Store;
  events: EventRecorder;
  now(): number;
  advance(ms: number): void;
  opts: WorkloadControllerOptions;
  run(...factories: ((o: WorkloadControllerOptions) => Promise<Controller>)[]): Promise<void>;
  dispose(): Promise<void>;
}

export async function harness(prefix: string): Promise<Harness> {
  let now = START;
  const clock = (): number => now;
  const { store, cache, dispose } = await tempStore(prefix, clock);
  const events = await createEventRecorder({ store, cache, logger: silentLogger(), clock });
  const opts: WorkloadControllerOptions = { store, cache, logger: silentLogger(), clock, events, resyncMs: 100 };
  const running: Controller[] = [];
  return {
    store,
    events,
    now: clock,
    advance: (ms) => {
      now += ms;
    },
    opts,
    async run(...factories) {
      for (const f of factories) {
        const c = await f(opts);
        await c.start();
        running.push(c);
      }
    },
    async dispose() {
      for (const c of running.reverse()) await c.stop();
      await dispose();
    },
  };
}

export function template(labels: Record<string, string>, image = 'registry.local/nginx:1.26'): PodTemplateSpec {
  return { metadata: { labels }, spec: { containers: [{ name: 'web', image }] } };
}

export function deployment(name: string, spec: Partial<Deployment['spec']> = {}, namespace = 'default'): Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { replicas: 3, selector: { matchLabels: labels }, template: template(labels), ...spec },
  };
}

export function node(name: string, extra: { labels?: Record<string, string>; taints?: NonNullable<Node['spec']>['taints']; unschedulable?: boolean; pods?: string; cpu?: string } = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, namespace: '', labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) } },
    spec: { ...(extra.taints ? { taints: extra.taints } : {}), ...(extra.unschedulable ? { unschedulable: true } : {}) },
    status: {
      allocatable: { cpu: extra.cpu ?? '4', memory: '8Gi', pods: extra.pods ?? '110' },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

export async function podsIn(store: Store, namespace = 'default', labels?: Record<string, string>): Promise<Pod[]> {
  return (await store.list<Pod>('Pod', { namespace, ...(labels ? { labelSelector: { matchLabels: labels } } : {}) })).items;
}

export const isActive = (p: Pod): boolean => !p.metadata.deletionTimestamp && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded';
export const isReadyPod = (p: Pod): boolean => isActive(p) && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** What an agent and the fleet would write: bound (to `nodeName` when unbound), Running, Ready since now. */
export async function makeReady(h: Harness, pod: Pod, nodeName = 'wl-node-a'): Promise<void> {
  const current = await h.store.get<Pod>({ kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name });
  if (!current || current.metadata.deletionTimestamp) return;
  const t = kubeTimestamp(h.now());
  await h.store.update<Pod>({
    ...current,
    spec: { ...current.spec, nodeName: current.spec.nodeName ?? nodeName },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'True', lastTransitionTime: t },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: t },
      ],
    },
  });
}

export async function setPhase(h: Harness, pod: Pod, phase: 'Failed' | 'Succeeded'): Promise<void> {
  const current = (await h.store.get<Pod>({ kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name }))!;
  await h.store.update<Pod>({ ...current, status: { phase, conditions: [{ type: 'Ready', status: 'False' }] } });
}

/** The agent stopped every terminating pod: remove them, as the fleet does on a full report. */
export async function finishTerminating(h: Harness, namespace = 'default'): Promise<number> {
  let n = 0;
  for (const pod of await podsIn(h.store, namespace)) {
    if (!pod.metadata.deletionTimestamp) continue;
    await h.store.delete({ kind: 'Pod', namespace, name: pod.metadata.name });
    n++;
  }
  return n;
}

/** Poll until `check` holds (returns true), or fail after `timeoutMs` with what it last saw. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Wait until the store has seen no write for `quietMs` (the controllers have converged). */
export async function settle(store: Store, quietMs = 250, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await store.revision();
  let since = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 25));
    const rev = await store.revision();
    if (rev !== last) {
      last = rev;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    if (Date.now() > deadline) throw new Error('store never settled');
  }
}

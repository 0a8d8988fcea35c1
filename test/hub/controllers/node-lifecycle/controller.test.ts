import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventRecorder } from '../../../../hub/events/recorder.js';
import { createNodeLifecycleController, type NodeLifecycleController, type NodeLifecycleOptions } from '../../../../hub/controllers/node-lifecycle/controller.js';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, TAINT_NODE_UNSCHEDULABLE } from '../../../../hub/controllers/node-lifecycle/node-taints.js';
import type { ObjectCache } from '../../../../hub/cache/object-cache.js';
import type { Store } from '../../../../hub/store/store.js';
import { silentLogger, type Event, type Node, type Pod, type Toleration } from '../../../../protocol/index.js';
import { eventually, tempStore } from '../temp-store.js';
import { kubeTimestamp } from '../../../../protocol/time.js';

const START = Date.parse('2026-11-24T10:00:00Z');
let now = START;
const clock = () => now;
let store: Store;
let cache: ObjectCache;
let dispose: () => Promise<void>;
let controller: NodeLifecycleController | undefined;

beforeEach(async () => {
  now = START;
  ({ store, cache, dispose } = await tempStore('drover-node-lifecycle-', clock));
});
afterEach(async () => {
  await controller?.stop();
  controller = undefined;
  await dispose();
});

async function startController(extra: Partial<Pick<NodeLifecycleOptions, 'evictionGraceMs' | 'orphanGraceMs' | 'resyncMs' | 'eviction' | 'concurrency'>> = {}) {
  const logger = silentLogger();
  const events = await createEventRecorder({ store, cache, logger, clock });
  controller = await createNodeLifecycleController({ store, cache, logger, clock, events, evictionGraceMs: 30_000, ...extra });
  await controller.start();
  return controller;
}

async function putNode(name: string, ready: 'True' | 'False' | 'Unknown', spec: Node['spec'] = {}): Promise<void> {
  await store.create<Node>({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, namespace: '' },
    spec,
    status: { conditions: [{ type: 'Ready', status: ready, reason: ready === 'True' ? 'KubeletReady' : 'NodeStatusUnknown' }] },
  });
}

async function getNode(name: string): Promise<Node> {
  return (await store.get<Node>({ kind: 'Node', namespace: '', name }))!;
}

async function setReady(name: string, ready: 'True' | 'False' | 'Unknown'): Promise<void> {
  const node = await getNode(name);
  await store.update<Node>({ ...node, status: { ...node.status, conditions: [{ type: 'Ready', status: ready, reason: ready === 'True' ? 'KubeletReady' : 'NodeStatusUnknown' }] } });
}

async function putPod(name: string, nodeName: string, tolerations?: Toleration[], owner?: string): Promise<Pod> {
  return store.create<Pod>({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner, name: `${name}-owner`, uid: `uid-${name}-owner`, controller: true }] } : {}),
    },
    spec: { nodeName, containers: [{ name: 'main', image: 'drover.local/busybox:test' }], ...(tolerations ? { tolerations } : {}) },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
}

const getPod = (name: string) => store.get<Pod>({ kind: 'Pod', namespace: 'default', name });
const events = async () => (await store.list<Event>('Event')).items;
const reasons = async () => (await events()).map((e) => `${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}`).sort();

/** DaemonSet pods tolerate the node-condition taints forever. */
const DAEMONSET_TOLERATIONS: Toleration[] = [
  { key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute' },
  { key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
];

describe('node lifecycle: taints', () => {
  it('taints an unreachable node NoExecute with timeAdded, records NodeNotReady, and lifts it when Ready again', async () => {
    await putNode('nf-a', 'True', { taints: [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }] });
    const c = await startController();
    expect((await getNode('nf-a')).spec?.taints).toEqual([{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }]);

    await setReady('nf-a', 'Unknown');
    await c.sync();
    expect((await getNode('nf-a')).spec?.taints).toEqual([
      { key: 'dedicated', value: 'edge', effect: 'NoSchedule' },
      { key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute', timeAdded: new Date(START).toISOString() },
    ]);
    const notReady = (await events()).find((e) => e.reason === 'NodeNotReady');
    expect(notReady).toMatchObject({
      metadata: { namespace: 'default' },
      involvedObject: { kind: 'Node', name: 'nf-a' },
      type: 'Normal',
      message: 'Node nf-a status is now: NodeNotReady',
      source: { component: 'node-controller' },
    });

    // timeAdded stays as it was on later passes
    now += 5_000;
    await c.sync();
    expect((await getNode('nf-a')).spec?.taints?.[1]?.timeAdded).toBe(new Date(START).toISOString());

    await setReady('nf-a', 'False');
    await c.sync();
    expect((await getNode('nf-a')).spec?.taints?.map((t) => `${t.key}:${t.effect}`)).toEqual(['dedicated:NoSchedule', `${TAINT_NODE_NOT_READY}:NoExecute`]);

    await setReady('nf-a', 'True');
    await c.sync();
    expect((await getNode('nf-a')).spec?.taints).toEqual([{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }]);
    expect(await reasons()).toEqual(['Node/nf-a NodeNotReady', 'Node/nf-a NodeReady']);
  });

  it('follows Node changes through its watch, without a sync call', async () => {
    await putNode('nf-w', 'True');
    await startController();
    await setReady('nf-w', 'Unknown');
    await eventually('the unreachable taint', async () => ((await getNode('nf-w')).spec?.taints?.some((t) => t.key === TAINT_NODE_UNREACHABLE) ? true : undefined));
    await setReady('nf-w', 'True');
    await eventually('the taint lifted', async () => ((await getNode('nf-w')).spec?.taints === undefined ? true : undefined));
  });

  it('keeps spec.unschedulable and the unschedulable:NoSchedule taint consistent, with events', async () => {
    await putNode('nf-c', 'True');
    const c = await startController();
    const node = await getNode('nf-c');
    await store.update<Node>({ ...node, spec: { ...node.spec, unschedulable: true } });
    await c.sync();
    expect((await getNode('nf-c')).spec?.taints).toEqual([{ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule', timeAdded: new Date(START).toISOString() }]);
    const cordoned = await getNode('nf-c');
    await store.update<Node>({ ...cordoned, spec: { ...cordoned.spec, unschedulable: false } });
    await c.sync();
    expect((await getNode('nf-c')).spec?.taints).toBeUndefined();
    expect(await reasons()).toEqual(['Node/nf-c NodeNotSchedulable', 'Node/nf-c NodeSchedulable']);
  });

  it('does not announce NodeNotReady for a node that has never reported', async () => {
    await store.create<Node>({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'nf-new', namespace: '' },
      status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusNeverUpdated' }] },
    });
    await startController();
    expect((await getNode('nf-new')).spec?.taints?.map((t) => t.key)).toEqual([TAINT_NODE_UNREACHABLE]);
    expect(await events()).toEqual([]);
  });
});

describe('node lifecycle: pods of a node that is not ready', () => {
  // Another node is Ready: with none, evictions pause (full disruption, tested below).
  beforeEach(async () => putNode('nf-healthy', 'True'));

  it('marks them Ready=False, reason NodeNotReady, and leaves the pods of ready nodes alone', async () => {
    await putNode('nf-down', 'True');
    await putNode('nf-up', 'True');
    await putPod('down-1', 'nf-down');
    await putPod('up-1', 'nf-up');
    const c = await startController();
    await setReady('nf-down', 'Unknown');
    await c.sync();
    const down = await getPod('down-1');
    expect(down?.status?.conditions?.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', reason: 'NodeNotReady' });
    expect(down?.status?.phase).toBe('Running');
    expect((await getPod('up-1'))?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
  });

  it('evicts a pod without tolerations after the default grace, with a TaintManagerEviction event', async () => {
    await putNode('nf-g', 'True');
    await putPod('bare', 'nf-g');
    const c = await startController({ evictionGraceMs: 30_000 });
    await setReady('nf-g', 'Unknown');
    await c.sync();
    now += 29_000;
    await c.sync();
    expect((await getPod('bare'))?.metadata.deletionTimestamp).toBeUndefined();
    now += 1_000;
    await c.sync();
    const evicted = await getPod('bare');
    // Deleted gracefully: the node still exists, so the pod stays Terminating until the agent confirms.
    expect(evicted?.metadata.deletionTimestamp).toBe(kubeTimestamp(now + 30_000));
    expect(evicted?.metadata.deletionGracePeriodSeconds).toBe(30);
    const eviction = (await events()).find((e) => e.reason === 'TaintManagerEviction');
    expect(eviction).toMatchObject({
      metadata: { namespace: 'default' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'bare', uid: evicted?.metadata.uid },
      message: 'Marking for deletion Pod default/bare',
      source: { component: 'taint-eviction-controller' },
    });
  });

  it('honours each pod\'s tolerationSeconds, and never evicts pods that tolerate the taint forever', async () => {
    await putNode('nf-t', 'True');
    await putPod('short', 'nf-t', [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }]);
    await putPod('long', 'nf-t', [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 120 }]);
    await putPod('default-grace', 'nf-t');
    await putPod('daemon', 'nf-t', DAEMONSET_TOLERATIONS, 'DaemonSet');
    // tolerates only not-ready, so the unreachable taint gets the default grace
    await putPod('other-key', 'nf-t', [{ key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute' }]);
    const c = await startController({ evictionGraceMs: 30_000 });
    await setReady('nf-t', 'Unknown');
    await c.sync();
    const terminating = async () => {
      const names: string[] = [];
      for (const p of (await store.list<Pod>('Pod')).items) if (p.metadata.deletionTimestamp) names.push(p.metadata.name);
      return names.sort();
    };
    now += 4_000;
    await c.sync();
    expect(await terminating()).toEqual([]);
    now += 1_000;
    await c.sync();
    expect(await terminating()).toEqual(['short']);
    now += 25_000;
    await c.sync();
    expect(await terminating()).toEqual(['default-grace', 'other-key', 'short']);
    now += 90_000;
    await c.sync();
    expect(await terminating()).toEqual(['default-grace', 'long', 'other-key', 'short']);
    now += 3_600_000;
    await c.sync();
    expect(await terminating()).toEqual(['default-grace', 'long', 'other-key', 'short']);
    // the DaemonSet pod stays, though marked not ready
    expect((await getPod('daemon'))?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('False');
  });

  it('evicts nothing when the node is back before the grace ends', async () => {
    await putNode('nf-back', 'True');
    await putPod('survivor', 'nf-back');
    const c = await startController({ evictionGraceMs: 30_000 });
    await setReady('nf-back', 'Unknown');
    await c.sync();
    now += 20_000;
    await setReady('nf-back', 'True');
    await c.sync();
    now += 60_000;
    await c.sync();
    expect((await getPod('survivor'))?.metadata.deletionTimestamp).toBeUndefined();
    expect((await events()).some((e) => e.reason === 'TaintManagerEviction')).toBe(false);
  });

  it('evicts on a user NoExecute taint at once unless tolerated, stamping the taint\'s timeAdded', async () => {
    await putNode('nf-u', 'True', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] });
    await putPod('intolerant', 'nf-u');
    await putPod('tolerant', 'nf-u', [{ key: 'maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }]);
    const c = await startController();
    expect((await getNode('nf-u')).spec?.taints).toEqual([{ key: 'maintenance', effect: 'NoExecute', timeAdded: new Date(START).toISOString() }]);
    expect((await getPod('intolerant'))?.metadata.deletionTimestamp).toBeDefined();
    expect((await getPod('tolerant'))?.metadata.deletionTimestamp).toBeUndefined();
    now += 60_000;
    await c.sync();
    expect((await getPod('tolerant'))?.metadata.deletionTimestamp).toBeDefined();
    // Ready node: nobody is marked not ready for a user taint
    expect((await getPod('tolerant'))?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
  });

  it('evicts when the grace runs out on its own: the node is queued again when the eviction is due', async () => {
    await putNode('nf-due', 'True');
    await putPod('due', 'nf-due');
    const logger = silentLogger();
    // the real clock here: nobody calls sync(), the controller wakes up by itself
    const events = await createEventRecorder({ store, cache, logger });
    controller = await createNodeLifecycleController({ store, cache, logger, clock: Date.now, events, evictionGraceMs: 300 });
    await controller.start();
    await setReady('nf-due', 'Unknown');
    await eventually('the taint', async () => ((await getNode('nf-due')).spec?.taints ? true : undefined));
    expect((await getPod('due'))?.metadata.deletionTimestamp).toBeUndefined();
    await eventually('the eviction', async () => ((await getPod('due'))?.metadata.deletionTimestamp ? true : undefined));
  });
});

describe('node lifecycle: full disruption', () => {
  it('evicts nobody from not-ready nodes while no node at all is Ready, and resumes when one is', async () => {
    await putNode('nf-only', 'True');
    await putPod('kept', 'nf-only');
    const c = await startController({ evictionGraceMs: 10_000 });
    await setReady('nf-only', 'Unknown');
    await c.sync();
    now += 3_600_000;
    await c.sync();
    expect((await getPod('kept'))?.metadata.deletionTimestamp).toBeUndefined();
    // the pod is still marked not ready
    expect((await getPod('kept'))?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('False');
    await putNode('nf-other', 'True');
    await c.sync();
    expect((await getPod('kept'))?.metadata.deletionTimestamp).toBeDefined();
  });

  it('still evicts on a user NoExecute taint', async () => {
    await putNode('nf-lone', 'Unknown', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] });
    await putPod('lone', 'nf-lone');
    await startController();
    expect((await getPod('lone'))?.metadata.deletionTimestamp).toBeDefined();
  });
});

describe('node lifecycle: eviction rate, as Kubernetes', () => {
  /** `n` Ready nodes nr-00.., one pod each (p-00..); then the first `down` go Unknown and are tainted. */
  async function fleetWithPods(n: number, down: number, extra: Parameters<typeof startController>[0]) {
    const names = Array.from({ length: n }, (_, i) => `nr-${String(i).padStart(2, '0')}`);
    for (const [i, name] of names.entries()) {
      await putNode(name, 'True');
      await putPod(`p-${String(i).padStart(2, '0')}`, name);
    }
    const c = await startController({ evictionGraceMs: 10_000, ...extra });
    for (const name of names.slice(0, down)) await setReady(name, 'Unknown');
    await c.sync();
    return c;
  }
  const evicted = async (n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) if ((await getPod(`p-${String(i).padStart(2, '0')}`))?.metadata.deletionTimestamp) out.push(`p-${String(i).padStart(2, '0')}`);
    return out;
  };

  it('admits not-ready nodes to eviction at the node eviction rate: their pods go a node at a time', async () => {
    // 4 of 10 down: below the 55 % threshold, the normal rate (1 node a second here)
    const c = await fleetWithPods(10, 4, { eviction: { evictionRate: 1 } });
    expect(await evicted(10)).toEqual([]);
    now += 10_000;
    await c.sync();
    expect(await evicted(10)).toHaveLength(1);
    now += 1_000;
    await c.sync();
    expect(await evicted(10)).toHaveLength(2);
    // the bucket holds one second's worth: two seconds later, one more node, not two
    now += 2_000;
    await c.sync();
    expect(await evicted(10)).toHaveLength(3);
    now += 1_000;
    await c.sync();
    expect((await evicted(10)).sort()).toEqual(['p-00', 'p-01', 'p-02', 'p-03']);
  });

  it('evicts nobody while 55 % or more of a small fleet is not Ready (a hub restart, a network cut), and resumes once fewer are', async () => {
    const c = await fleetWithPods(10, 6, {});
    now += 600_000;
    await c.sync();
    expect(await evicted(10)).toEqual([]);
    // the pods are still marked not ready
    expect((await getPod('p-00'))?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('False');
    await setReady('nr-04', 'True');
    await setReady('nr-05', 'True');
    await c.sync();
    expect((await evicted(10)).sort()).toEqual(['p-00', 'p-01', 'p-02', 'p-03']);
  });

  it('slows down to the secondary rate under partial disruption of a fleet above the large-cluster threshold', async () => {
    const c = await fleetWithPods(10, 6, { eviction: { evictionRate: 100, secondaryEvictionRate: 0.5, largeClusterThreshold: 5 } });
    now += 10_000;
    await c.sync();
    expect(await evicted(10)).toHaveLength(1);
    now += 1_000;
    await c.sync();
    expect(await evicted(10)).toHaveLength(1);
    now += 1_000;
    await c.sync();
    expect(await evicted(10)).toHaveLength(2);
  });

  it('a node back to Ready leaves the admitted ones; admitted again later, it waits for its turn', async () => {
    const c = await fleetWithPods(10, 1, { eviction: { evictionRate: 1 } });
    // not yet due: not admitted, nothing taken from the bucket
    await setReady('nr-00', 'True');
    await c.sync();
    expect((await getNode('nr-00')).spec?.taints).toBeUndefined();
    for (const name of ['nr-00', 'nr-01']) await setReady(name, 'Unknown');
    await c.sync();
    now += 10_000;
    await c.sync();
    expect(await evicted(10)).toHaveLength(1);
  });
});

describe('node lifecycle: pods of a node that is gone', () => {
  it('deletes a terminating pod at once and any other after the orphan grace', async () => {
    await putNode('nf-gone', 'True');
    await putPod('terminating', 'nf-gone');
    await putPod('running', 'nf-gone');
    const c = await startController({ orphanGraceMs: 40_000 });
    const t = (await getPod('terminating'))!;
    await store.update<Pod>({ ...t, metadata: { ...t.metadata, deletionTimestamp: '2026-11-24T10:00:30Z', deletionGracePeriodSeconds: 30 } });
    await store.delete({ kind: 'Node', namespace: '', name: 'nf-gone' });
    await eventually('the terminating pod deleted', async () => ((await getPod('terminating')) === undefined ? true : undefined));
    await c.sync();
    expect(await getPod('running')).toBeDefined();
    now += 40_000;
    await c.sync();
    expect(await getPod('running')).toBeUndefined();
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { Event, Pod, ReplicaSet } from '../../../protocol/index.js';
import { createReplicaSetController, replicaSetStatus } from '../../../hub/controllers/replicaset.js';
import { compareForDeletion } from '../../../hub/controllers/pod-state.js';
import { finishTerminating, harness, isActive, makeReady, node, podsIn, setPhase, START, template, until, type Harness } from './workload-support.js';

function replicaSet(name: string, replicas: number, minReadySeconds = 0): ReplicaSet {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: { replicas, minReadySeconds, selector: { matchLabels: labels }, template: template(labels) },
  };
}

async function rs(h: Harness, name: string): Promise<ReplicaSet> {
  return (await h.store.get<ReplicaSet>({ kind: 'ReplicaSet', namespace: 'default', name }))!;
}

async function scaleTo(h: Harness, name: string, replicas: number): Promise<void> {
  const cur = await rs(h, name);
  await h.store.update<ReplicaSet>({ ...cur, spec: { ...cur.spec, replicas } });
}

const owned = async (h: Harness, name: string): Promise<Pod[]> =>
  (await podsIn(h.store)).filter((p) => p.metadata.ownerReferences?.some((r) => r.kind === 'ReplicaSet' && r.name === name && r.controller));

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

describe('ReplicaSet controller', () => {
  it('creates spec.replicas pods named <rs>-<5 random> owned by the ReplicaSet, with events and status', async () => {
    h = await harness('wl-rs-');
    await h.run(createReplicaSetController);
    const created = await h.store.create(replicaSet('wl-web', 3));
    await until('3 pods', async () => (await owned(h!, 'wl-web')).length === 3);
    const pods = await owned(h, 'wl-web');
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(/^wl-web-[a-z0-9]{5}$/);
      expect(pod.metadata.labels).toEqual({ app: 'wl-web' });
      expect(pod.metadata.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'wl-web', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
      expect(pod.spec.containers[0]!.image).toBe('registry.local/nginx:1.26');
    }
    await until('status replicas 3', async () => (await rs(h!, 'wl-web')).status?.replicas === 3);
    expect((await rs(h, 'wl-web')).status).toMatchObject({ replicas: 3, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 });
    const events = (await h.store.list<Event>('Event')).items.filter((e) => e.reason === 'SuccessfulCreate');
    expect(events.map((e) => e.message).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
    expect(events[0]!.involvedObject).toMatchObject({ kind: 'ReplicaSet', name: 'wl-web' });

    for (const pod of pods) await makeReady(h, pod);
    await until('3 ready', async () => (await rs(h!, 'wl-web')).status?.readyReplicas === 3);
    expect((await rs(h, 'wl-web')).status?.availableReplicas).toBe(3);
  });

  it('creates beyond one burst at once, past its minimum interval, in slow-start batches that resume, never more than asked', async () => {
    h = await harness('wl-rs-');
    // batches of creates: runs of store.create calls made without a turn in between
    const batches: number[] = [];
    let open = false;
    const create = h.store.create.bind(h.store);
    h.store.create = (async (obj: Parameters<typeof create>[0]) => {
      if (obj.kind === 'Pod') {
        if (!open) {
          open = true;
          batches.push(0);
          queueMicrotask(() => (open = false));
        }
        batches[batches.length - 1]!++;
      }
      return create(obj);
    }) as typeof h.store.create;
    // no resync and an hour between reconciles: only continueNow can bring the next burst
    await h.run((o) => createReplicaSetController({ ...o, resyncMs: 3_600_000, minReconcileIntervalMs: 3_600_000, burstReplicas: 4 }));
    await h.store.create(replicaSet('wl-burst', 11));
    await until('11 pods', async () => (await owned(h!, 'wl-burst')).length === 11, 30_000);
    await until('status replicas 11', async () => (await rs(h!, 'wl-burst')).status?.replicas === 11, 30_000);
    // first reconcile 1, 2, 1 (its burst of 4); the next ones resume at 4: 4, then the 3 left
    expect(batches).toEqual([1, 2, 1, 4, 3]);
    expect(await owned(h, 'wl-burst')).toHaveLength(11);
  });

  it('scales down unscheduled pods first, then not ready, then the newest; bound pods terminate gracefully', async () => {
    h = await harness('wl-rs-');
    await h.store.create(node('wl-node-a'));
    await h.run(createReplicaSetController);
    await h.store.create(replicaSet('wl-down', 4));
    await until('4 pods', async () => (await owned(h!, 'wl-down')).length === 4);
    const [a, b, c, d] = await owned(h, 'wl-down');
    // a: ready long ago; b: ready just now; c: bound but not ready; d: unscheduled.
    await makeReady(h, a!);
    h.advance(60_000);
    await makeReady(h, b!);
    const cur = (await h.store.get<Pod>({ kind: 'Pod', namespace: 'default', name: c!.metadata.name }))!;
    await h.store.update<Pod>({ ...cur, spec: { ...cur.spec, nodeName: 'wl-node-a' } });

    await scaleTo(h, 'wl-down', 3);
    await until('d deleted', async () => !(await owned(h!, 'wl-down')).some((p) => p.metadata.name === d!.metadata.name));
    await scaleTo(h, 'wl-down', 2);
    await until('c terminating', async () => (await owned(h!, 'wl-down')).some((p) => p.metadata.name === c!.metadata.name && p.metadata.deletionTimestamp !== undefined));
    const terminating = (await owned(h, 'wl-down')).find((p) => p.metadata.name === c!.metadata.name)!;
    expect(terminating.metadata.deletionGracePeriodSeconds).toBe(30);
    await scaleTo(h, 'wl-down', 1);
    await until('b terminating', async () => (await owned(h!, 'wl-down')).some((p) => p.metadata.name === b!.metadata.name && p.metadata.deletionTimestamp !== undefined));
    const left = (await owned(h, 'wl-down')).filter(isActive);
    expect(left.map((p) => p.metadata.name)).toEqual([a!.metadata.name]);
    await until('status 1', async () => (await rs(h!, 'wl-down')).status?.replicas === 1);
    const deleted = (await h.store.list<Event>('Event')).items.filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message);
    expect(deleted.sort()).toEqual([b, c, d].map((p) => `Deleted pod: ${p!.metadata.name}`).sort());
  });

  it('replaces a failed pod and a terminating pod', async () => {
    h = await harness('wl-rs-');
    await h.store.create(node('wl-node-a'));
    await h.run(createReplicaSetController);
    await h.store.create(replicaSet('wl-heal', 2));
    await until('2 pods', async () => (await owned(h!, 'wl-heal')).length === 2);
    const [first, second] = await owned(h, 'wl-heal');
    await makeReady(h, first!);
    await makeReady(h, second!);
    await setPhase(h, first!, 'Failed');
    await until('a replacement for the failed pod', async () => (await owned(h!, 'wl-heal')).filter(isActive).length === 2);
    expect((await owned(h, 'wl-heal')).length).toBe(3);

    // The API deletes the second pod gracefully: it stays, terminating, and is replaced at once.
    const cur = (await h.store.get<Pod>({ kind: 'Pod', namespace: 'default', name: second!.metadata.name }))!;
    await h.store.update<Pod>({ ...cur, metadata: { ...cur.metadata, deletionTimestamp: '2026-03-01T10:00:30Z', deletionGracePeriodSeconds: 30 } });
    await until('a replacement for the terminating pod', async () => (await owned(h!, 'wl-heal')).filter(isActive).length === 2);
    expect(await finishTerminating(h)).toBe(1);
    await until('status', async () => (await rs(h!, 'wl-heal')).status?.replicas === 2);
  });

  it('counts a pod available only after minReadySeconds', async () => {
    h = await harness('wl-rs-');
    await h.run(createReplicaSetController);
    await h.store.create(replicaSet('wl-min', 1, 5));
    await until('1 pod', async () => (await owned(h!, 'wl-min')).length === 1);
    await makeReady(h, (await owned(h, 'wl-min'))[0]!);
    await until('ready', async () => (await rs(h!, 'wl-min')).status?.readyReplicas === 1);
    expect((await rs(h, 'wl-min')).status?.availableReplicas).toBe(0);
    h.advance(5_000);
    await until('available after the resync', async () => (await rs(h!, 'wl-min')).status?.availableReplicas === 1);
  });
});

describe('replicaSetStatus and compareForDeletion', () => {
  it('computes status from active pods', () => {
    const set = replicaSet('x', 2, 10);
    const pod = (name: string, readyAt?: number): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: 'x' } },
      spec: { containers: [{ name: 'c', image: 'i' }] },
      status: readyAt === undefined ? { phase: 'Pending' } : { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(readyAt).toISOString() }] },
    });
    const status = replicaSetStatus(set, [pod('a', START - 20_000), pod('b', START - 1000), pod('c')], START);
    expect(status).toEqual({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 1, observedGeneration: 1 });
  });

  it('ranks unscheduled, then pending, then not ready, then recently ready first', () => {
    const base = (name: string, extra: Partial<Pod>): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'i' }] }, ...extra });
    const unscheduled = base('u', {});
    const pending = base('p', { spec: { nodeName: 'n', containers: [{ name: 'c', image: 'i' }] }, status: { phase: 'Pending' } });
    const notReady = base('r0', { spec: { nodeName: 'n', containers: [{ name: 'c', image: 'i' }] }, status: { phase: 'Running' } });
    const readyNew = base('r1', { spec: { nodeName: 'n', containers: [{ name: 'c', image: 'i' }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-03-01T10:00:00Z' }] } });
    const readyOld = base('r2', { spec: { nodeName: 'n', containers: [{ name: 'c', image: 'i' }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-03-01T09:00:00Z' }] } });
    const sorted = [readyOld, readyNew, notReady, pending, unscheduled].sort(compareForDeletion).map((p) => p.metadata.name);
    expect(sorted).toEqual(['u', 'p', 'r0', 'r1', 'r2']);
  });
});

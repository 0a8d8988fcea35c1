import { afterEach, describe, expect, it } from 'vitest';
import type { ControllerRevision, DaemonSet, Event, Node, Pod } from '../../../protocol/index.js';
import { createDaemonSetController } from '../../../hub/controllers/daemonset.js';
import { DAEMON_POD_TOLERATIONS } from '../../../hub/controllers/daemonset-placement.js';
import { finishTerminating, harness, isActive, isReadyPod, makeReady, node, podsIn, settle, template, until, type Harness } from './workload-support.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

function daemonSet(name: string, spec: Partial<DaemonSet['spec']> = {}): DaemonSet {
  const labels = { app: name };
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: 'default' }, spec: { selector: { matchLabels: labels }, template: template(labels), ...spec } };
}

const getDs = async (hh: Harness, name: string): Promise<DaemonSet> => (await hh.store.get<DaemonSet>({ kind: 'DaemonSet', namespace: 'default', name }))!;
const activeByNode = async (hh: Harness): Promise<Record<string, string[]>> => {
  const out: Record<string, string[]> = {};
  for (const p of (await podsIn(hh.store)).filter(isActive)) (out[p.spec.nodeName ?? ''] ??= []).push(p.metadata.name);
  return out;
};
const nodesWithPods = async (hh: Harness): Promise<string[]> => Object.keys(await activeByNode(hh)).sort();

describe('DaemonSet controller', () => {
  it('puts one pod on every matching node, bound and tolerating not-ready/unreachable/unschedulable, and counts status', async () => {
    h = await harness('wl-ds-');
    await h.store.create(node('wl-ds-a'));
    await h.store.create(node('wl-ds-b', { unschedulable: true }));
    await h.run(createDaemonSetController);
    const ds = await h.store.create(daemonSet('wl-agentd'));
    await until('two pods', async () => (await nodesWithPods(h!)).join() === 'wl-ds-a,wl-ds-b');
    const pods = await podsIn(h.store);
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^wl-agentd-[a-z0-9]{5}$/);
      expect(p.metadata.labels?.['controller-revision-hash']).toMatch(/^[a-z0-9]{8,10}$/);
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', uid: ds.metadata.uid, controller: true });
      for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
        expect(p.spec.tolerations).toContainEqual({ key, operator: 'Exists', effect: 'NoExecute' });
      }
      expect(p.spec.tolerations).toContainEqual({ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' });
      expect(p.spec.tolerations?.every((t) => t.tolerationSeconds === undefined)).toBe(true);
    }
    for (const p of pods) await makeReady(h, p);
    await until('status', async () => (await getDs(h!, 'wl-agentd')).status?.numberReady === 2);
    expect((await getDs(h, 'wl-agentd')).status).toEqual({
      desiredNumberScheduled: 2, currentNumberScheduled: 2, numberMisscheduled: 0, numberReady: 2, numberAvailable: 2,
      numberUnavailable: 0, updatedNumberScheduled: 2, observedGeneration: 1,
    });
  });

  it('gives a node that joins later its pod; a node that stops matching or is tainted NoExecute loses it; NoSchedule taints keep running pods', async () => {
    h = await harness('wl-ds-');
    await h.store.create(node('wl-ds-a', { labels: { role: 'edge' } }));
    await h.store.create(node('wl-ds-c', { labels: { role: 'core' } }));
    await h.store.create(node('wl-ds-t', { labels: { role: 'edge' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    await h.run(createDaemonSetController);
    await h.store.create(daemonSet('wl-edge', { template: { ...template({ app: 'wl-edge' }), spec: { containers: [{ name: 'web', image: 'x' }], nodeSelector: { role: 'edge' } } } }));
    await until('only the untainted edge node', async () => (await nodesWithPods(h!)).join() === 'wl-ds-a');
    await settle(h.store, 200);
    expect(await nodesWithPods(h)).toEqual(['wl-ds-a']);
    expect((await getDs(h, 'wl-edge')).status?.desiredNumberScheduled).toBe(1);

    await h.store.create(node('wl-ds-late', { labels: { role: 'edge' } }));
    await until('the late node', async () => (await nodesWithPods(h!)).join() === 'wl-ds-a,wl-ds-late');

    // A NoSchedule taint does not evict a running daemon pod; a NoExecute one does.
    const late = (await h.store.get<Node>({ kind: 'Node', namespace: '', name: 'wl-ds-late' }))!;
    await h.store.update<Node>({ ...late, spec: { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] } });
    await settle(h.store, 200);
    expect(await nodesWithPods(h)).toEqual(['wl-ds-a', 'wl-ds-late']);
    const late2 = (await h.store.get<Node>({ kind: 'Node', namespace: '', name: 'wl-ds-late' }))!;
    await h.store.update<Node>({ ...late2, spec: { taints: [{ key: 'maintenance', effect: 'NoExecute' }] } });
    await until('evicted from the NoExecute node', async () => (await nodesWithPods(h!)).join() === 'wl-ds-a');

    // Labels change: the node no longer matches. Unbound pods on a gone node are deleted at once.
    const a = (await h.store.get<Node>({ kind: 'Node', namespace: '', name: 'wl-ds-a' }))!;
    await h.store.update<Node>({ ...a, metadata: { ...a.metadata, labels: { role: 'core' } } });
    await until('no pod left', async () => (await nodesWithPods(h!)).length === 0);
    await until('status', async () => (await getDs(h!, 'wl-edge')).status?.desiredNumberScheduled === 0);
  });

  it('does not place a pod that does not fit, and says so with a FailedPlacement event', async () => {
    h = await harness('wl-ds-');
    await h.store.create(node('wl-ds-small', { cpu: '100m' }));
    await h.store.create(node('wl-ds-big', { cpu: '4' }));
    await h.run(createDaemonSetController);
    const spec = { containers: [{ name: 'web', image: 'x', resources: { requests: { cpu: '500m' } } }] };
    await h.store.create(daemonSet('wl-fat', { template: { metadata: { labels: { app: 'wl-fat' } }, spec } }));
    await until('the big node only', async () => (await nodesWithPods(h!)).join() === 'wl-ds-big');
    await until('event', async () => (await h!.store.list<Event>('Event')).items.some((e) => e.reason === 'FailedPlacement'));
    const event = (await h.store.list<Event>('Event')).items.find((e) => e.reason === 'FailedPlacement')!;
    expect(event.message).toBe('failed to place pod on "wl-ds-small": Insufficient cpu');
    expect(event.type).toBe('Warning');
  });

  it('rolling update replaces one node at a time, waiting for the new pod to be ready', async () => {
    h = await harness('wl-ds-');
    for (const n of ['wl-ds-1', 'wl-ds-2', 'wl-ds-3']) await h.store.create(node(n));
    await h.run(createDaemonSetController);
    await h.store.create(daemonSet('wl-roll'));
    await until('three pods', async () => (await podsIn(h!.store)).length === 3);
    for (const p of await podsIn(h.store)) await makeReady(h, p, p.spec.nodeName);
    await until('ready', async () => (await getDs(h!, 'wl-roll')).status?.numberReady === 3);
    const oldHash = (await podsIn(h.store))[0]!.metadata.labels?.['controller-revision-hash'];

    const ds = await getDs(h, 'wl-roll');
    await h.store.update<DaemonSet>({ ...ds, spec: { ...ds.spec, template: template({ app: 'wl-roll' }, 'registry.local/nginx:1.27') } });
    let maxUnavailableSeen = 0;
    for (let step = 0; step < 40; step++) {
      await settle(h.store, 150);
      const pods = await podsIn(h.store);
      const readyNodes = new Set(pods.filter(isReadyPod).map((p) => p.spec.nodeName));
      maxUnavailableSeen = Math.max(maxUnavailableSeen, 3 - readyNodes.size);
      expect(3 - readyNodes.size).toBeLessThanOrEqual(1);
      await finishTerminating(h);
      const fresh = pods.find((p) => isActive(p) && !isReadyPod(p));
      if (fresh) await makeReady(h, fresh, fresh.spec.nodeName);
      const d = await getDs(h, 'wl-roll');
      if (d.status?.updatedNumberScheduled === 3 && d.status.numberAvailable === 3 && pods.every(isActive)) break;
    }
    expect(maxUnavailableSeen).toBe(1);
    const pods = (await podsIn(h.store)).filter(isActive);
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.spec.containers[0]!.image === 'registry.local/nginx:1.27' && p.metadata.labels?.['controller-revision-hash'] !== oldHash)).toBe(true);
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(3);
  });

  it('OnDelete replaces a pod with the new template only when it is deleted; a failed pod is replaced', async () => {
    h = await harness('wl-ds-');
    await h.store.create(node('wl-ds-1'));
    await h.store.create(node('wl-ds-2'));
    await h.run(createDaemonSetController);
    await h.store.create(daemonSet('wl-ondel', { updateStrategy: { type: 'OnDelete' } }));
    await until('two pods', async () => (await podsIn(h!.store)).length === 2);
    const ds = await getDs(h, 'wl-ondel');
    await h.store.update<DaemonSet>({ ...ds, spec: { ...ds.spec, template: template({ app: 'wl-ondel' }, 'registry.local/nginx:1.27') } });
    await until('observed', async () => (await getDs(h!, 'wl-ondel')).status?.observedGeneration === 2);
    await settle(h.store, 200);
    expect((await podsIn(h.store)).every((p) => p.spec.containers[0]!.image === 'registry.local/nginx:1.26')).toBe(true);
    expect((await getDs(h, 'wl-ondel')).status?.updatedNumberScheduled).toBe(0);

    const victim = (await podsIn(h.store)).find((p) => p.spec.nodeName === 'wl-ds-1')!;
    await h.store.delete({ kind: 'Pod', namespace: 'default', name: victim.metadata.name });
    await until('replaced with the new template', async () =>
      (await podsIn(h!.store)).some((p) => p.spec.nodeName === 'wl-ds-1' && p.spec.containers[0]!.image === 'registry.local/nginx:1.27'),
    );
    const other = (await podsIn(h.store)).find((p) => p.spec.nodeName === 'wl-ds-2')!;
    expect(other.spec.containers[0]!.image).toBe('registry.local/nginx:1.26');

    const cur = (await h.store.get<Pod>({ kind: 'Pod', namespace: 'default', name: other.metadata.name }))!;
    await h.store.update<Pod>({ ...cur, status: { phase: 'Failed' } });
    await until('the failed pod terminating and replaced', async () => {
      const onNode = (await podsIn(h!.store)).filter((p) => p.spec.nodeName === 'wl-ds-2');
      return onNode.some((p) => p.metadata.name === other.metadata.name && p.metadata.deletionTimestamp) && onNode.some(isActive);
    });
  });

  it('the default tolerations are the ones Kubernetes gives daemon pods', () => {
    expect(DAEMON_POD_TOLERATIONS.map((t) => `${t.key}:${t.effect}`)).toEqual(expect.arrayContaining([
      'node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unschedulable:NoSchedule',
    ]));
  });
  it('keeps a ControllerRevision <ds>-<hash> per template, named by the pods\' hash; a template that comes back renumbers its old one', async () => {
    h = await harness('wl-ds-');
    await h.store.create(node('wl-ds-rv'));
    await h.run(createDaemonSetController);
    await h.store.create(daemonSet('wl-rev'));
    const revisions = async () => (await h!.store.list<ControllerRevision>('ControllerRevision', { namespace: 'default' })).items;
    await until('first revision', async () => (await revisions()).length === 1 && (await podsIn(h!.store)).length === 1);
    const hash = (await podsIn(h.store))[0]!.metadata.labels?.['controller-revision-hash'];
    expect((await revisions()).map((r) => [r.metadata.name, r.revision])).toEqual([[`wl-rev-${hash}`, 1]]);
    const set = async (image: string) => {
      const cur = await getDs(h!, 'wl-rev');
      await h!.store.update<DaemonSet>({ ...cur, spec: { ...cur.spec, template: template({ app: 'wl-rev' }, image) } });
    };
    await set('registry.local/nginx:1.27');
    await until('second revision', async () => (await revisions()).length === 2);
    await set('registry.local/nginx:1.26');
    await until('first one renumbered', async () => (await revisions()).find((r) => r.metadata.name === `wl-rev-${hash}`)?.revision === 3);
    expect((await revisions()).map((r) => r.revision).sort()).toEqual([2, 3]);
  });
});

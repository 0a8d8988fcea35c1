import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNodeIpamController } from '../../../../hub/controllers/network/node-ipam.js';
import { createEndpointSliceController, desiredSlices } from '../../../../hub/controllers/network/endpoint-slices.js';
import { createEndpointsController, desiredSubsets } from '../../../../hub/controllers/network/endpoints.js';
import type { Controller } from '../../../../hub/controllers/controller.js';
import type { ObjectCache } from '../../../../hub/cache/object-cache.js';
import { createEventRecorder } from '../../../../hub/events/recorder.js';
import type { Store } from '../../../../hub/store/store.js';
import { DEFAULT_CLUSTER_NETWORK } from '../../../../protocol/cluster-network.js';
import { silentLogger, type EndpointSlice, type Endpoints, type Event, type Node, type Pod, type Service } from '../../../../protocol/index.js';
import { eventually, tempStore } from '../temp-store.js';

let store: Store;
let cache: ObjectCache;
let dispose: () => Promise<void>;
const running: Controller[] = [];

beforeEach(async () => {
  ({ store, cache, dispose } = await tempStore('drover-netctl-'));
});
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
  await dispose();
});

async function run(make: (o: { store: Store; cache: ObjectCache; logger: ReturnType<typeof silentLogger>; clock: () => number; events: Awaited<ReturnType<typeof createEventRecorder>> }) => Promise<Controller>) {
  const events = await createEventRecorder({ store, cache, logger: silentLogger() });
  const c = await make({ store, cache, logger: silentLogger(), clock: Date.now, events });
  await c.start();
  running.push(c);
}

const node = (name: string, podCIDR?: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR ? { podCIDR } : {} });
const getNode = (name: string) => store.get<Node>({ kind: 'Node', namespace: '', name });

describe('node IPAM', () => {
  it('gives each node the lowest free /24 of the cluster CIDR, keeps it, and reuses a deleted node\'s', async () => {
    await store.create(node('kept', '10.42.0.0/24'));
    await store.create(node('a'));
    await store.create(node('b'));
    await run((o) => createNodeIpamController({ ...o, network: DEFAULT_CLUSTER_NETWORK, resyncMs: 200 }));
    const a = await eventually('a has a pod CIDR', async () => (await getNode('a'))?.spec?.podCIDR);
    const b = await eventually('b has a pod CIDR', async () => (await getNode('b'))?.spec?.podCIDR);
    expect([a, b].sort()).toEqual(['10.42.1.0/24', '10.42.2.0/24']);
    expect((await getNode('a'))?.spec?.podCIDRs).toEqual([a]);
    expect((await getNode('kept'))?.spec?.podCIDR).toBe('10.42.0.0/24');
    await store.delete({ kind: 'Node', namespace: '', name: 'a' });
    await store.create(node('c'));
    expect(await eventually('c has a pod CIDR', async () => (await getNode('c'))?.spec?.podCIDR)).toBe(a);
  });

  it('says so when the cluster CIDR is full', async () => {
    await run((o) => createNodeIpamController({ ...o, network: { ...DEFAULT_CLUSTER_NETWORK, clusterCIDR: '10.99.0.0/23' }, resyncMs: 200 }));
    for (const n of ['x', 'y', 'z']) await store.create(node(n));
    await eventually('an event', async () => {
      const events = (await store.list<Event>('Event', { namespace: 'default' })).items;
      return events.find((e) => e.reason === 'CIDRNotAvailable');
    });
    const cidrs = await Promise.all(['x', 'y', 'z'].map(async (n) => (await getNode(n))?.spec?.podCIDR));
    expect(cidrs.filter(Boolean).sort()).toEqual(['10.99.0.0/24', '10.99.1.0/24']);
  });
});

function pod(name: string, labels: Record<string, string>, ip: string | undefined, opts: { ready?: boolean; terminating?: boolean; node?: string; ports?: Array<{ name?: string; containerPort: number }> } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels, ...(opts.terminating ? { deletionTimestamp: '2026-12-01T00:00:00Z' } : {}) },
    spec: { nodeName: opts.node ?? 'n1', containers: [{ name: 'c', image: 'x', ...(opts.ports ? { ports: opts.ports } : {}) }] },
    status: {
      phase: 'Running',
      ...(ip ? { podIP: ip } : {}),
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

const service = (name: string, spec: Service['spec']): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', uid: `svc-${name}` }, spec });

describe('endpoint slices', () => {
  it('lists ready, not ready and terminating pods with their conditions, and resolves named target ports', () => {
    const svc = service('api', { selector: { app: 'api' }, clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, targetPort: 'web' }] });
    const slices = desiredSlices(svc, [
      pod('a', { app: 'api' }, '10.42.1.5', { ports: [{ name: 'web', containerPort: 8080 }] }),
      pod('b', { app: 'api' }, '10.42.2.5', { ready: false, ports: [{ name: 'web', containerPort: 8080 }] }),
      pod('c', { app: 'api' }, '10.42.2.6', { terminating: true, ports: [{ name: 'web', containerPort: 8080 }] }),
      pod('d', { app: 'api' }, '10.42.2.7', { ports: [{ name: 'web', containerPort: 9090 }] }),
      pod('e', { app: 'api' }, undefined),
    ]);
    const all = [...slices.values()];
    expect(all).toHaveLength(2); // pods serving 'web' on 8080, and d on 9090 (e has no IP yet)
    const main = all.find((s) => s.ports?.[0]?.port === 8080)!;
    expect(main.endpoints.map((e) => [e.addresses[0], e.conditions])).toEqual([
      ['10.42.1.5', { ready: true, serving: true, terminating: false }],
      ['10.42.2.5', { ready: false, serving: false, terminating: false }],
      ['10.42.2.6', { ready: false, serving: true, terminating: true }],
    ]);
    expect(main.metadata.labels).toEqual({ 'kubernetes.io/service-name': 'api', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(main.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Service', name: 'api', uid: 'svc-api', controller: true });
  });

  it('keeps slices in line with the pods, and says when a Service has no ready endpoints', async () => {
    await run((o) => createEndpointSliceController({ ...o, resyncMs: 200 }));
    await store.create(service('api', { selector: { app: 'api' }, clusterIP: '10.43.0.5', ports: [{ port: 80, targetPort: 8080 }] }));
    const slices = async () => (await store.list<EndpointSlice>('EndpointSlice', { namespace: 'default' })).items;
    await eventually('an empty slice', async () => ((await slices()).length === 1 ? true : undefined));
    await eventually('the NoReadyEndpoints event', async () => (await store.list<Event>('Event', { namespace: 'default' })).items.find((e) => e.reason === 'NoReadyEndpoints'));
    await store.create(pod('a', { app: 'api' }, '10.42.1.5'));
    await store.create(pod('b', { app: 'other' }, '10.42.1.6'));
    const ips = async () => (await slices()).flatMap((s) => s.endpoints.map((e) => e.addresses[0]));
    await eventually('a in the slice', async () => ((await ips()).join() === '10.42.1.5' ? true : undefined));
    expect((await slices())[0]!.ports).toEqual([{ name: '', protocol: 'TCP', port: 8080 }]);
    // the pod goes not ready: still listed, ready false
    const a = (await store.get<Pod>({ kind: 'Pod', namespace: 'default', name: 'a' }))!;
    await store.update({ ...a, status: { ...a.status, conditions: [{ type: 'Ready', status: 'False' }] } });
    await eventually('a not ready', async () => ((await slices())[0]?.endpoints[0]?.conditions?.ready === false ? true : undefined));
    await store.delete({ kind: 'Pod', namespace: 'default', name: 'a' });
    await eventually('no endpoints', async () => ((await ips()).length === 0 ? true : undefined));
  });
});

describe('endpoints (v1) and EndpointSlice mirroring', () => {
  const getEndpoints = (name: string) => store.get<Endpoints>({ kind: 'Endpoints', namespace: 'default', name });
  const slices = async () => (await store.list<EndpointSlice>('EndpointSlice', { namespace: 'default' })).items;

  it('puts ready pods in addresses and the others in notReadyAddresses, leaves terminating ones out, one subset per port set', () => {
    const svc = service('api', { selector: { app: 'api' }, clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, targetPort: 'web' }] });
    const subsets = desiredSubsets(svc, [
      pod('b', { app: 'api' }, '10.42.2.5', { ready: false, ports: [{ name: 'web', containerPort: 8080 }] }),
      pod('a', { app: 'api' }, '10.42.1.5', { ports: [{ name: 'web', containerPort: 8080 }] }),
      pod('c', { app: 'api' }, '10.42.2.6', { terminating: true, ports: [{ name: 'web', containerPort: 8080 }] }),
      pod('d', { app: 'api' }, '10.42.2.7', { ports: [{ name: 'web', containerPort: 9090 }] }),
      pod('e', { app: 'api' }, '10.42.2.8', { ports: [{ name: 'other', containerPort: 7070 }] }),
    ]);
    expect(subsets).toEqual([
      {
        addresses: [{ ip: '10.42.1.5', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }],
        notReadyAddresses: [{ ip: '10.42.2.5', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' } }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
      {
        addresses: [{ ip: '10.42.2.7', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'd', uid: 'uid-d' } }],
        ports: [{ name: 'http', port: 9090, protocol: 'TCP' }],
      },
    ]);
  });

  it('keeps a Service\'s Endpoints in line with its pods and deletes them with the Service', async () => {
    await run((o) => createEndpointsController({ ...o, resyncMs: 200 }));
    await store.create(service('api', { selector: { app: 'api' }, clusterIP: '10.43.0.5', ports: [{ port: 80, targetPort: 8080 }] }));
    const first = await eventually('Endpoints for api', () => getEndpoints('api'));
    expect(first.subsets ?? []).toEqual([]);
    expect(first.metadata.labels?.['endpointslice.kubernetes.io/skip-mirror']).toBe('true');
    await store.create(pod('a', { app: 'api' }, '10.42.1.5'));
    const ready = await eventually('a listed', async () => ((await getEndpoints('api'))?.subsets?.[0]?.addresses?.[0]?.ip === '10.42.1.5' ? getEndpoints('api') : undefined));
    expect(ready!.subsets![0]!.ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
    const a = (await store.get<Pod>({ kind: 'Pod', namespace: 'default', name: 'a' }))!;
    await store.update({ ...a, status: { ...a.status, conditions: [{ type: 'Ready', status: 'False' }] } });
    await eventually('a not ready', async () => ((await getEndpoints('api'))?.subsets?.[0]?.notReadyAddresses?.[0]?.ip === '10.42.1.5' ? true : undefined));
    // mirrored slices are only for Endpoints a user writes: none here
    expect((await slices()).filter((s) => s.metadata.labels?.['endpointslice.kubernetes.io/managed-by']?.includes('mirroring'))).toEqual([]);
    await store.delete({ kind: 'Service', namespace: 'default', name: 'api' });
    await eventually('Endpoints gone with the Service', async () => ((await getEndpoints('api')) ? undefined : true));
  });

  it('mirrors a user\'s Endpoints for a Service without a selector into an EndpointSlice, and follows its changes', async () => {
    await run((o) => createEndpointsController({ ...o, resyncMs: 200 }));
    await store.create(service('db', { clusterIP: '10.43.0.9', ports: [{ name: 'pg', port: 5432 }] }));
    await store.create<Endpoints>({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'db', namespace: 'default' },
      subsets: [{ addresses: [{ ip: '192.168.1.20' }], notReadyAddresses: [{ ip: '192.168.1.21' }], ports: [{ name: 'pg', port: 5432 }] }],
    });
    const mirrored = async () => (await slices()).filter((s) => s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === 'endpointslicemirroring-controller.k8s.io');
    const [slice] = await eventually('a mirrored slice', async () => ((await mirrored()).length === 1 ? mirrored() : undefined));
    expect(slice!.metadata.labels?.['kubernetes.io/service-name']).toBe('db');
    expect(slice!.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Endpoints', name: 'db' });
    expect(slice!.ports).toEqual([{ name: 'pg', protocol: 'TCP', port: 5432 }]);
    expect(slice!.endpoints.map((e) => [e.addresses[0], e.conditions?.ready])).toEqual([['192.168.1.20', true], ['192.168.1.21', false]]);
    const ep = (await getEndpoints('db'))!;
    await store.update({ ...ep, subsets: [{ addresses: [{ ip: '192.168.1.30' }], ports: [{ name: 'pg', port: 5432 }] }] });
    await eventually('the slice follows', async () => ((await mirrored())[0]?.endpoints.map((e) => e.addresses[0]).join() === '192.168.1.30' ? true : undefined));
    // the user Endpoints are theirs: the controller never deletes them
    expect(await getEndpoints('db')).toBeDefined();
    await store.delete({ kind: 'Endpoints', namespace: 'default', name: 'db' });
    await eventually('the mirrored slice goes with them', async () => ((await mirrored()).length === 0 ? true : undefined));
  });
});

describe('node IPAM when the cluster CIDR is full', () => {
  it('tells each waiting node once however often it reports, and gives it the block a deleted node frees', async () => {
    await run((o) => createNodeIpamController({ ...o, network: { ...DEFAULT_CLUSTER_NETWORK, clusterCIDR: '10.99.0.0/23' }, resyncMs: 100 }));
    for (const n of ['x', 'y', 'z']) await store.create(node(n));
    const cidrOf = async (n: string) => (await getNode(n))?.spec?.podCIDR;
    await eventually('x and y have blocks', async () => ((await cidrOf('x')) && (await cidrOf('y')) ? true : undefined));
    // z reports again and again (status writes) and the resync runs: one event only
    for (let i = 0; i < 20; i++) {
      const z = (await getNode('z'))!;
      await store.update({ ...z, metadata: { ...z.metadata, labels: { beat: String(i) } } });
    }
    await new Promise((r) => setTimeout(r, 400));
    const notAvailable = async () => (await store.list<Event>('Event', { namespace: 'default' })).items.filter((e) => e.reason === 'CIDRNotAvailable' && e.involvedObject.name === 'z');
    const events = await notAvailable();
    expect(events).toHaveLength(1);
    expect(events[0]!.count ?? 1).toBe(1);
    expect(await cidrOf('z')).toBeUndefined();
    const freed = await cidrOf('x');
    await store.delete({ kind: 'Node', namespace: '', name: 'x' });
    expect(await eventually('z gets the freed block', () => cidrOf('z'))).toBe(freed);
  });
});

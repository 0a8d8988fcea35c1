/**
 * The pod network on containerd, for real: two devices (dnt-a, dnt-b: network namespaces on one LAN, see
 * devices.ts), each with its own pod network driven from this test inside its namespace (its pod bridge,
 * its drover.1, CNI run there) and its own pods loop on the real containerd. Proves: pods get IPs from their
 * node's pod CIDR, two pods on one node use the same containerPort and reach each other, a pod on A reaches a
 * pod on B over the VXLAN overlay, a hostPort answers on the device's address (portmap), a peer removed from
 * the set loses its route (and the pod on B is out of reach), each container has the pod's resolv.conf, and
 * removing the pods cleans up (CNI DEL: namespace, veth and the address reservation gone).
 */
import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podUid } from '../../../agent/desired-set.js';
import { createNodeNetwork, type NodeNetwork } from '../../../agent/network/node-network.js';
import { createContainerRecords } from '../../../agent/pods/container-records.js';
import { createReconciler, type Reconciler } from '../../../agent/pods/reconciler.js';
import { createRootLogger, silentLogger } from '../../../protocol/logger.js';
import type { NetworkPeer } from '../../../protocol/messages.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import { createContainerdRuntime } from '../../../runtime-adapters/containerd/containerd.js';
import type { ContainerRuntime } from '../../../runtime-adapters/runtime.js';
import { desiredSet, makePod, networkSet, tempDir, TEST_IMAGE } from '../helpers.js';
import { addDevice, cleanupPrefix, createLan, eventually, removeCtrContainers, type Device } from './devices.js';

const PREFIX = 'dnt';
/** DNT_DEBUG=1 shows the pod network's and the pods loop's logs. */
const logger = () => (process.env.DNT_DEBUG ? createRootLogger() : silentLogger());
const CTR_NAMESPACE = 'drover';
const POD_NS = 'dnt';
const CLUSTER = '10.242.0.0/16';

/** A pod serving its name over HTTP on port 80 (busybox httpd). */
function webPod(name: string, node: string, hostPort?: number): Pod {
  return makePod(name, {
    uid: `${name}-0000-uid`,
    metadata: { namespace: POD_NS },
    spec: { nodeName: node, terminationGracePeriodSeconds: 0 },
    containers: [
      {
        name: 'web',
        image: TEST_IMAGE,
        imagePullPolicy: 'Never',
        command: ['sh', '-c', `mkdir -p /tmp/www && echo ${name} > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www`],
        ports: [{ containerPort: 80, ...(hostPort ? { hostPort } : {}) }],
      },
    ],
  });
}

interface Node {
  name: string;
  device: Device;
  podCIDR: string;
  dataDir: string;
  network: NodeNetwork;
  reconciler: Reconciler;
}

describe('pod network on containerd: two devices over VXLAN', () => {
  let runtime: ContainerRuntime;
  const nodes: Node[] = [];
  const dirs: (() => Promise<void>)[] = [];
  let a: Node;
  let b: Node;

  /** As the hub sends them: every other node with its pod CIDR, address and (once reported) VTEP MAC. */
  const peersOf = (n: Node): NetworkPeer[] => nodes.filter((o) => o.name !== n.name).map((o) => ({ node: o.name, podCIDR: o.podCIDR, nodeIP: o.device.ip, ...(o.network.vtepMAC() ? { vtepMAC: o.network.vtepMAC()! } : {}) }));
  const apply = async (n: Node, generation: number, peers = peersOf(n)) =>
    n.network.apply(networkSet(generation, { podCIDR: n.podCIDR, clusterCIDR: CLUSTER, peers }, n.name));

  async function makeNode(name: string, address: string, podCIDR: string): Promise<Node> {
    const device = await addDevice(lan, name, address);
    const { dir, cleanup } = await tempDir('drover-dnt-');
    dirs.push(cleanup);
    const nodeName = `${PREFIX}-${name}`;
    const network = createNodeNetwork({
      nodeName,
      runtime: 'containerd',
      dataDir: dir,
      logger: logger(),
      nodeIP: () => address,
      run: device.runner,
      names: { netnsPrefix: `${PREFIX}p${name}` },
      nodeDns: async () => ({ nameservers: ['192.0.2.53'], searches: [], options: [] }),
    });
    const records = createContainerRecords({ dataDir: dir, logger: logger() });
    await records.load();
    const reconciler = createReconciler({ runtime, records, nodeName, dataDir: dir, logger: logger(), sandboxes: network, intervalMs: 60_000 });
    const n = { name: nodeName, device, podCIDR, dataDir: dir, network, reconciler };
    nodes.push(n);
    return n;
  }

  let lan: Awaited<ReturnType<typeof createLan>>;
  let stateDir: { dir: string; cleanup: () => Promise<void> };

  const running = async (n: Node, pod: Pod) => {
    await n.reconciler.reconcileOnce();
    const cs = await runtime.list({ [RUNTIME_LABELS.podUid]: podUid(pod) });
    const sb = n.network.current(podUid(pod));
    return cs.length > 0 && cs.every((c) => c.state === 'running') && sb ? { id: cs[0]!.id, ip: sb.podIPs[0]! } : undefined;
  };
  /** GET / from inside a container (busybox nc: its static wget crashes on some addresses); the body, exit code 1 when unanswered. */
  const wget = async (containerId: string, url: string) => {
    const { hostname, port } = new URL(url);
    const r = await runtime.exec(containerId, ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${hostname} ${port || 80}`], 20_000);
    const body = r.stdout.split(/\r?\n\r?\n/).slice(1).join('\n');
    return { exitCode: body ? r.exitCode : 1, stdout: body };
  };

  beforeAll(async () => {
    await removeCtrContainers(CTR_NAMESPACE, `drover_${POD_NS}_`);
    lan = await createLan(PREFIX, '10.77.0');
    stateDir = await tempDir('drover-dnt-ctr-');
    runtime = createContainerdRuntime({ logger: logger(), namespace: CTR_NAMESPACE, stateDir: stateDir.dir });
    a = await makeNode('a', '10.77.0.11', '10.242.1.0/24');
    b = await makeNode('b', '10.77.0.12', '10.242.2.0/24');
    // as the hub does: each node's set, then again once every node reported its VTEP MAC
    await apply(a, 1);
    await apply(b, 1);
    expect(a.network.vtepMAC()).toBe('0a:58:0a:f2:01:00');
    expect(b.network.vtepMAC()).toBe('0a:58:0a:f2:02:00');
    await apply(a, 2);
    await apply(b, 2);
  });

  afterAll(async () => {
    for (const n of nodes) await n.reconciler.stop();
    await removeCtrContainers(CTR_NAMESPACE, `drover_${POD_NS}_`);
    for (const n of nodes) await n.network.stop();
    await cleanupPrefix(PREFIX);
    await stateDir?.cleanup();
    for (const c of dirs) await c();
  });

  it('programs the overlay: drover.1 with the VTEP address, the MTU of the underlay less 50, a route, neighbour and fdb entry per peer', async () => {
    const link = JSON.parse((await a.device.exec('ip', ['-j', '-d', 'addr', 'show', 'dev', 'drover.1'])).stdout)[0];
    expect(link.linkinfo.info_data).toMatchObject({ id: 1, port: 8472, learning: false, local: '10.77.0.11' });
    expect(link.mtu).toBe(1450); // the set's 1450; the veth underlay is 1500
    expect(link.addr_info.map((x: { local: string; prefixlen: number }) => `${x.local}/${x.prefixlen}`)).toContain('10.242.1.0/32');
    const route = (await a.device.exec('ip', ['route', 'show', '10.242.2.0/24'])).stdout;
    expect(route).toMatch(/10\.242\.2\.0\/24 via 10\.242\.2\.0 dev drover\.1 onlink/);
    expect((await a.device.exec('ip', ['neigh', 'show', 'dev', 'drover.1'])).stdout).toMatch(/10\.242\.2\.0 lladdr 0a:58:0a:f2:02:00 PERMANENT/);
    expect((await a.device.exec('bridge', ['fdb', 'show', 'dev', 'drover.1'])).stdout).toMatch(/0a:58:0a:f2:02:00 dst 10\.77\.0\.12 self permanent/);
    const bridge = (await a.device.exec('ip', ['-br', 'addr', 'show', 'dev', 'drover0'])).stdout;
    expect(bridge).toContain('10.242.1.1/24');
    // a second apply of the same set changes nothing
    const before = await a.device.exec('ip', ['-j', 'route', 'show', 'dev', 'drover.1']);
    await apply(a, 3);
    expect((await a.device.exec('ip', ['-j', 'route', 'show', 'dev', 'drover.1'])).stdout).toBe(before.stdout);
  });

  it("pods get IPs from their node's CIDR, share a containerPort on one node, reach each other and across the overlay; hostPort answers on the device", async () => {
    const a1 = webPod('dnt-a1', a.name);
    const a2 = webPod('dnt-a2', a.name);
    const b1 = webPod('dnt-b1', b.name, 8080);
    a.reconciler.setDesired(desiredSet(1, [a1, a2], a.name));
    b.reconciler.setDesired(desiredSet(1, [b1], b.name));
    const ra1 = await eventually('a1 running', () => running(a, a1));
    const ra2 = await eventually('a2 running', () => running(a, a2));
    const rb1 = await eventually('b1 running', () => running(b, b1));
    expect(ra1.ip).toMatch(/^10\.242\.1\.\d+$/);
    expect(ra2.ip).toMatch(/^10\.242\.1\.\d+$/);
    expect(ra1.ip).not.toBe(ra2.ip);
    expect(rb1.ip).toMatch(/^10\.242\.2\.\d+$/);

    // same node, both on port 80
    expect((await eventually('a1 -> a2', async () => (await wget(ra1.id, `http://${ra2.ip}/`)).stdout.trim() || undefined))).toBe('dnt-a2');
    // across the overlay, both ways
    expect((await eventually('a1 -> b1', async () => (await wget(ra1.id, `http://${rb1.ip}/`)).stdout.trim() || undefined))).toBe('dnt-b1');
    expect((await wget(rb1.id, `http://${ra1.ip}/`)).stdout.trim()).toBe('dnt-a1');
    // hostPort through portmap, on the device's LAN address, from the host
    const viaHost = await eventually('hostPort', async () => {
      const r = await fetch(`http://${b.device.ip}:8080/`, { signal: AbortSignal.timeout(3000) });
      return (await r.text()).trim();
    });
    expect(viaHost).toBe('dnt-b1');
    // the pod's resolv.conf: the node's bridge address as its cluster DNS, the namespace's search path
    const resolv = await runtime.exec(ra1.id, ['cat', '/etc/resolv.conf']);
    expect(resolv.stdout).toBe(`nameserver 10.242.1.1\nsearch ${POD_NS}.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`);
  });

  it('a peer removed from the set loses its route; back in the set, it is reachable again', async () => {
    const a1 = webPod('dnt-a1', a.name);
    const b1 = webPod('dnt-b1', b.name, 8080);
    const ra1 = (await running(a, a1))!;
    const rb1 = (await running(b, b1))!;
    await apply(a, 10, peersOf(a).filter((p) => p.node !== b.name));
    expect((await a.device.exec('ip', ['route', 'show', 'dev', 'drover.1'])).stdout).not.toContain('10.242.2.0/24');
    expect((await a.device.exec('ip', ['neigh', 'show', 'dev', 'drover.1'])).stdout).not.toContain('10.242.2.0');
    expect((await a.device.exec('bridge', ['fdb', 'show', 'dev', 'drover.1'])).stdout).not.toContain('0a:58:0a:f2:02:00');
    expect((await wget(ra1.id, `http://${rb1.ip}/`)).exitCode).not.toBe(0);
    await apply(a, 11);
    expect((await eventually('a1 -> b1 again', async () => (await wget(ra1.id, `http://${rb1.ip}/`)).stdout.trim() || undefined))).toBe('dnt-b1');
  });

  it('an agent restart keeps the pods and their namespaces (adopted, same container, same IP)', async () => {
    const a1 = webPod('dnt-a1', a.name);
    const before = (await running(a, a1))!;
    await a.reconciler.stop();
    // a new pods loop and pod network on the same data dir: what a restarted agent builds
    const network = createNodeNetwork({ nodeName: a.name, runtime: 'containerd', dataDir: a.dataDir, logger: logger(), nodeIP: () => a.device.ip, run: a.device.runner, names: { netnsPrefix: `${PREFIX}pa` } });
    await apply({ ...a, network }, 12);
    const records = createContainerRecords({ dataDir: a.dataDir, logger: logger() });
    await records.load();
    const reconciler = createReconciler({ runtime, records, nodeName: a.name, dataDir: a.dataDir, logger: logger(), sandboxes: network, intervalMs: 60_000 });
    Object.assign(a, { network, reconciler });
    reconciler.setDesired(desiredSet(1, [a1, webPod('dnt-a2', a.name)], a.name));
    const after = await eventually('a1 adopted', () => running(a, a1));
    expect(after).toEqual(before);
  });

  it('removing the pods tears their sandboxes down: namespace, veth and address reservation gone', async () => {
    const a1 = webPod('dnt-a1', a.name);
    const ns = JSON.parse(JSON.stringify(a.network.current(podUid(a1))!.network)) as { path: string };
    const ipamDir = join(a.dataDir, 'network', 'ipam', 'drover');
    expect((await readdir(ipamDir)).filter((f) => f.startsWith('10.242.1.'))).toHaveLength(2);
    a.reconciler.setDesired(desiredSet(2, [], a.name));
    await eventually('a pods gone', async () => {
      await a.reconciler.reconcileOnce();
      return (await runtime.list({ [RUNTIME_LABELS.node]: a.name })).length === 0;
    });
    await a.reconciler.reconcileOnce();
    const netns = (await execa('ip', ['netns', 'list'])).stdout;
    expect(netns).not.toContain(ns.path.split('/').pop()!);
    expect((await readdir(ipamDir)).filter((f) => f.startsWith('10.242.1.'))).toEqual([]);
    expect((await a.device.exec('ip', ['-br', 'link', 'show', 'master', 'drover0'])).stdout.trim()).toBe('');
    // a DEL of what is gone already is fine
    await a.network.release(podUid(a1));
  });
});

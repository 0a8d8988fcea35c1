/**
 * The pod network on Docker, for real (dockerd runs in the host's namespace, so this "node" is the host,
 * with names of its own: network dnd-pods on bridge dnd0, nft table dnd_podnet, pause image
 * drover.local/dnd-pause:1, made here from the static busybox). Proves: the per-node bridge network has
 * the pod CIDR, .1 as gateway and the overlay's MTU; each pod gets a sandbox holding its IP from the pod
 * CIDR; the containers of a pod share localhost and that IP; pods reach each other by IP; a hostPort
 * answers on the host through the sandbox's -p; the containers see the pod's resolv.conf; removing the pods
 * removes their sandboxes.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podUid } from '../../../agent/desired-set.js';
import { createNodeNetwork, type NodeNetwork } from '../../../agent/network/node-network.js';
import { createContainerRecords } from '../../../agent/pods/container-records.js';
import { createReconciler, type Reconciler } from '../../../agent/pods/reconciler.js';
import { createRootLogger, silentLogger } from '../../../protocol/logger.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import { createDockerRuntime } from '../../../runtime-adapters/docker/docker.js';
import type { ContainerRuntime } from '../../../runtime-adapters/runtime.js';
import { desiredSet, makePod, networkSet, tempDir, TEST_IMAGE } from '../helpers.js';
import { eventually } from './devices.js';

const NODE = 'dnd-node';
const NAMES = { bridge: 'dnd0', dockerNetwork: 'dnd-pods', vxlan: 'dnd.1', nftTable: 'dnd_podnet', netnsPrefix: 'dndp' };
const PAUSE = 'drover.local/dnd-pause:1';
const CIDR = '10.245.1.0/24';
const logger = () => (process.env.DNT_DEBUG ? createRootLogger() : silentLogger());

const web = (text: string) => ({
  name: 'web',
  image: TEST_IMAGE,
  imagePullPolicy: 'Never' as const,
  command: ['sh', '-c', `mkdir -p /tmp/www && echo ${text} > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www`],
});
const podA: Pod = makePod('dnd-a', {
  uid: 'dnd-a-0000-uid',
  metadata: { namespace: 'dnd' },
  spec: { nodeName: NODE, terminationGracePeriodSeconds: 0 },
  containers: [{ ...web('dnd-a'), ports: [{ containerPort: 80 }] }, { name: 'side', image: TEST_IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'] }],
});
const podB: Pod = makePod('dnd-b', {
  uid: 'dnd-b-0000-uid',
  metadata: { namespace: 'dnd' },
  spec: { nodeName: NODE, terminationGracePeriodSeconds: 0 },
  containers: [{ ...web('dnd-b'), ports: [{ containerPort: 80, hostPort: 18082 }] }],
});

async function removeAll(): Promise<void> {
  const ids = (await execa('docker', ['ps', '-aq', '--filter', `label=${RUNTIME_LABELS.node}=${NODE}`], { reject: false })).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await execa('docker', ['rm', '-f', ...ids], { reject: false });
  await execa('docker', ['network', 'rm', NAMES.dockerNetwork], { reject: false });
}

describe('pod network on Docker: a bridge network and pause sandboxes', () => {
  let runtime: ContainerRuntime;
  let network: NodeNetwork;
  let reconciler: Reconciler;
  let dir: { dir: string; cleanup: () => Promise<void> };

  const containerOf = async (pod: Pod, name: string) =>
    (await runtime.list({ [RUNTIME_LABELS.podUid]: podUid(pod), [RUNTIME_LABELS.container]: name })).find((c) => c.state === 'running');
  const get = async (containerId: string, host: string) => {
    const r = await runtime.exec(containerId, ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} 80`], 20_000);
    return r.stdout.split(/\r?\n\r?\n/).slice(1).join('\n').trim();
  };

  beforeAll(async () => {
    await removeAll();
    dir = await tempDir('drover-dnd-');
    runtime = createDockerRuntime({ logger: logger() });
    network = createNodeNetwork({
      nodeName: NODE, runtime: 'docker', dataDir: dir.dir, logger: logger(), nodeIP: () => undefined, names: NAMES, pauseImage: PAUSE,
      nodeDns: async () => ({ nameservers: ['192.0.2.53'], searches: [], options: [] }),
    });
    // no node address: the overlay waits (this "node" is the host); the bridge network and sandboxes do not
    await network.apply(networkSet(1, { node: NODE, podCIDR: CIDR, clusterCIDR: '10.245.0.0/16', mtu: 1400 }, NODE));
    const records = createContainerRecords({ dataDir: dir.dir, logger: silentLogger() });
    await records.load();
    reconciler = createReconciler({ runtime, records, nodeName: NODE, dataDir: dir.dir, logger: logger(), sandboxes: network, intervalMs: 60_000 });
  });

  afterAll(async () => {
    await reconciler?.stop();
    await removeAll();
    await network?.teardownNode();
    await network?.stop();
    await execa('docker', ['image', 'rm', PAUSE], { reject: false });
    await dir?.cleanup();
  });

  it('makes the bridge network with the pod CIDR, .1 as gateway, the MTU, no masquerading of its own', async () => {
    const [net] = JSON.parse((await execa('docker', ['network', 'inspect', NAMES.dockerNetwork])).stdout) as { IPAM: { Config: { Subnet: string; Gateway: string }[] }; Options: Record<string, string> }[];
    expect(net!.IPAM.Config[0]).toMatchObject({ Subnet: CIDR, Gateway: '10.245.1.1' });
    expect(net!.Options).toMatchObject({
      'com.docker.network.bridge.name': 'dnd0',
      'com.docker.network.driver.mtu': '1400',
      'com.docker.network.bridge.enable_ip_masquerade': 'false',
    });
  });

  it('each pod in a sandbox with its own IP; containers of a pod share localhost; pods reach each other; hostPort; resolv.conf', async () => {
    reconciler.setDesired(desiredSet(1, [podA, podB], NODE));
    const side = await eventually('pod a running', async () => {
      await reconciler.reconcileOnce();
      return (await containerOf(podA, 'web')) && (await containerOf(podB, 'web')) && containerOf(podA, 'side');
    });
    const ipA = network.current(podUid(podA))!.podIPs[0]!;
    const ipB = network.current(podUid(podB))!.podIPs[0]!;
    expect(ipA).toMatch(/^10\.245\.1\.\d+$/);
    expect(ipB).toMatch(/^10\.245\.1\.\d+$/);
    expect(ipA).not.toBe(ipB);
    // both containers of pod a in one network namespace: localhost is shared
    expect(await eventually('localhost in the pod', async () => (await get(side.id, '127.0.0.1')) || undefined)).toBe('dnd-a');
    expect(await eventually('pod a -> pod b', async () => (await get(side.id, ipB)) || undefined)).toBe('dnd-b');
    const viaHost = await eventually('hostPort', async () => (await fetch('http://127.0.0.1:18082/', { signal: AbortSignal.timeout(3000) })).text());
    expect(viaHost.trim()).toBe('dnd-b');
    const resolv = await runtime.exec(side.id, ['cat', '/etc/resolv.conf']);
    expect(resolv.stdout).toBe('nameserver 10.245.1.1\nsearch dnd.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
    // the sandbox is not one of the pod's containers: the pods loop never lists it
    expect((await runtime.list({ [RUNTIME_LABELS.podUid]: podUid(podA) })).map((c) => c.labels[RUNTIME_LABELS.container]).sort()).toEqual(['side', 'web']);
  });

  it('removing the pods removes their sandboxes', async () => {
    reconciler.setDesired(desiredSet(2, [], NODE));
    await eventually('pods gone', async () => {
      await reconciler.reconcileOnce();
      return (await runtime.list({ [RUNTIME_LABELS.node]: NODE })).length === 0;
    });
    await reconciler.reconcileOnce();
    const left = (await execa('docker', ['ps', '-aq', '--filter', 'label=io.drover.sandbox=true', '--filter', `label=${RUNTIME_LABELS.node}=${NODE}`])).stdout.trim();
    expect(left).toBe('');
  });
});

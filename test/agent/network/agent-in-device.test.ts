/**
 * A real agent process (dist/agent/main.js, containerd) inside a device's network namespace (`ip netns exec
 * dnu-c node ...`, its own process group), against the fake hub on the LAN (reached through a small TCP relay
 * on the device's loopback: the agent speaks plain MQTT only to loopback). A second device (dnu-d) has its
 * pod network driven from the test. Proves, end to end through MQTT: the network set arrives on its own
 * channel and is stored in network.json; the agent reports its VTEP MAC in its node status; its pod gets an
 * IP from the node's pod CIDR (status.podIP) and is reached from the other device over the overlay and on
 * its hostPort at the device's address; and with the hub gone and the overlay device removed, a restarted
 * agent applies the stored set before any hub is in reach: the overlay is back, the pod still answers.
 */
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeNetwork, type NodeNetwork } from '../../../agent/network/node-network.js';
import { silentLogger } from '../../../protocol/logger.js';
import type { NetworkPeer } from '../../../protocol/messages.js';
import { startFakeHub, type FakeHub } from '../fake-hub.js';
import { desiredSet, makePod, networkSet, TEST_IMAGE } from '../helpers.js';
import { addDevice, cleanupPrefix, createLan, eventually, removeCtrContainers, startInGroup, type Device, type GroupProc, type Lan } from './devices.js';

const PREFIX = 'dnu';
const NODE = 'dnu-c';
const MAIN = resolve(import.meta.dirname, '../../../dist/agent/main.js');
const C_CIDR = '10.244.1.0/24';
const D_CIDR = '10.244.2.0/24';
const CLUSTER = '10.244.0.0/16';
const RELAY_PORT = 18941;

const pod = makePod('dnu-c1', {
  uid: 'dnu-c1-0000-uid',
  metadata: { namespace: 'dnu' },
  spec: { nodeName: NODE, terminationGracePeriodSeconds: 0 },
  containers: [
    {
      name: 'web',
      image: TEST_IMAGE,
      imagePullPolicy: 'Never',
      command: ['sh', '-c', 'mkdir -p /tmp/www && echo dnu-c1 > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www'],
      ports: [{ containerPort: 80, hostPort: 8081 }],
    },
  ],
});

/** A TCP relay 127.0.0.1:RELAY_PORT -> the hub, run inside the device (node:net). */
const relayScript = (target: string, port: number) => `
const net = require('node:net');
net.createServer((c) => { const u = net.connect(${port}, '${target}'); c.pipe(u); u.pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); })
  .listen(${RELAY_PORT}, '127.0.0.1');`;

/** GET / with busybox nc from inside a device's namespace; the body. */
async function getFrom(device: Device, ip: string, port = 80): Promise<string> {
  const r = await execa('ip', ['netns', 'exec', device.ns, 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 3 ${ip} ${port}`], { reject: false });
  return String(r.stdout).split(/\r?\n\r?\n/).slice(1).join('\n').trim();
}

describe('an agent process in a device namespace', () => {
  let lan: Lan;
  let c: Device;
  let d: Device;
  let hub: FakeHub;
  let relay: GroupProc | undefined;
  let agent: GroupProc | undefined;
  let dNet: NodeNetwork;
  let dataDir: string;
  let dDir: string;

  const startAgent = (token?: string) =>
    startInGroup('ip', ['netns', 'exec', c.ns, process.execPath, MAIN, '--hub', `mqtt://127.0.0.1:${RELAY_PORT}`, ...(token ? ['--token', token] : []),
      '--name', NODE, '--runtime', 'containerd', '--data-dir', dataDir, '--status-interval', '1'], { DROVER_LOG_LEVEL: 'info' });
  const dPeers = (cMac: string | undefined): NetworkPeer[] => [
    { node: NODE, podCIDR: C_CIDR, nodeIP: c.ip, ...(cMac ? { vtepMAC: cMac } : {}) },
    { node: 'dnu-d', podCIDR: D_CIDR, nodeIP: d.ip, ...(dNet.vtepMAC() ? { vtepMAC: dNet.vtepMAC()! } : {}) },
  ];
  const podIP = () =>
    hub.podStatus.flatMap((m) => m.pods).filter((p) => p.name === 'dnu-c1' && p.status.phase === 'Running' && p.status.podIP).pop()?.status.podIP;

  beforeAll(async () => {
    await removeCtrContainers('drover', 'drover_dnu_');
    lan = await createLan(PREFIX, '10.78.0');
    c = await addDevice(lan, 'c', '10.78.0.21');
    d = await addDevice(lan, 'd', '10.78.0.22');
    hub = await startFakeHub({ host: lan.hostIP });
    relay = startInGroup('ip', ['netns', 'exec', c.ns, process.execPath, '-e', relayScript(lan.hostIP, hub.port)]);
    dataDir = await mkdtemp(join(tmpdir(), 'drover-dnu-agent-'));
    dDir = await mkdtemp(join(tmpdir(), 'drover-dnu-d-'));
    dNet = createNodeNetwork({ nodeName: 'dnu-d', runtime: 'containerd', dataDir: dDir, logger: silentLogger(), nodeIP: () => d.ip, run: d.runner, names: { netnsPrefix: 'dnup' } });
    await dNet.apply(networkSet(1, { node: 'dnu-d', podCIDR: D_CIDR, clusterCIDR: CLUSTER, peers: dPeers(undefined) }, 'dnu-d'));
  });

  afterAll(async () => {
    await agent?.stop();
    await relay?.stop();
    await hub?.close();
    await removeCtrContainers('drover', 'drover_dnu_');
    await dNet?.stop();
    await cleanupPrefix(PREFIX);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    if (dDir) await rm(dDir, { recursive: true, force: true });
  });

  it('joins, stores the network set, reports its VTEP MAC; its pod gets a pod IP reached over the overlay and on its hostPort', async () => {
    await hub.publishNetwork(networkSet(1, { node: NODE, podCIDR: C_CIDR, clusterCIDR: CLUSTER, peers: dPeers(undefined) }, NODE));
    await hub.publishDesired(desiredSet(1, [pod], NODE));
    agent = startAgent('good-token');
    const mac = await eventually('the VTEP MAC in the node status', () => hub.nodeStatus.map((m) => m.network?.vtepMAC).filter(Boolean).pop());
    expect(mac).toBe('0a:58:0a:f4:01:00');
    const stored = JSON.parse(await readFile(join(dataDir, 'network.json'), 'utf8')) as { podCIDR: string; generation: number };
    expect(stored).toMatchObject({ podCIDR: C_CIDR, generation: 1 });
    // the hub tells both nodes of each other's VTEP
    await dNet.apply(networkSet(2, { node: 'dnu-d', podCIDR: D_CIDR, clusterCIDR: CLUSTER, peers: dPeers(mac) }, 'dnu-d'));
    await hub.publishNetwork(networkSet(2, { node: NODE, podCIDR: C_CIDR, clusterCIDR: CLUSTER, peers: dPeers(mac) }, NODE));
    const ip = await eventually('pod IP in the pod status', podIP);
    expect(ip).toMatch(/^10\.244\.1\.\d+$/);
    expect(await eventually('from device d over the overlay', async () => (await getFrom(d, ip)) || undefined)).toBe('dnu-c1');
    const r = await eventually('hostPort on the device address', async () => (await fetch(`http://${c.ip}:8081/`, { signal: AbortSignal.timeout(3000) })).text());
    expect(r.trim()).toBe('dnu-c1');
  });

  it('with the hub gone, a restarted agent applies the stored network set: the overlay comes back, the pod keeps answering', async () => {
    const ip = podIP()!;
    const containerBefore = (await execa('ctr', ['-n', 'drover', 'tasks', 'ls'])).stdout.split('\n').find((l) => l.startsWith('drover_dnu_dnu-c1_web'));
    await agent!.stop();
    await hub.stopBroker();
    await execa('ip', ['-n', c.ns, 'link', 'del', 'drover.1']);
    expect((await getFrom(d, ip)) || 'unanswered').toBe('unanswered');
    agent = startAgent();
    await eventually('overlay route back', async () => (await execa('ip', ['-n', c.ns, 'route', 'show', D_CIDR], { reject: false })).stdout.includes('drover.1'));
    expect(await eventually('pod answers again', async () => (await getFrom(d, ip)) || undefined)).toBe('dnu-c1');
    const containerAfter = (await execa('ctr', ['-n', 'drover', 'tasks', 'ls'])).stdout.split('\n').find((l) => l.startsWith('drover_dnu_dnu-c1_web'));
    expect(containerAfter).toBe(containerBefore);
    expect(agent.output()).toContain('applying the stored network set until the hub sends a newer one');
  });
});

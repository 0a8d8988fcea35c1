/**
 * A small cluster of "devices" for the pod network's end-to-end test and benchmark: a real `drover hub`
 * whose MQTT (mqtts) listens on the host's end of a LAN (a bridge in a namespace of its own, see
 * test/agent/network/devices.ts), and real `drover agent` processes from dist/:
 *  - containerd nodes, each in its own network namespace (`ip netns exec <ns> node dist/... agent`, its own
 *    process group, ended by the group), with its own pod bridge, overlay device, nftables and cluster DNS;
 *  - at most one Docker node, in the host's own namespace: Docker's daemon (and so its bridge networks) is
 *    the host's, shared by every namespace, so a Docker agent with the pod network can only live there.
 * Pods go in a Kubernetes namespace of the test's own, so its containers (`drover_<ns>_...`) are found and
 * removed by name; what the Docker node made in the host's namespace is torn down after (teardownNode).
 */
import { execa } from 'execa';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeNetwork } from '../../../agent/network/node-network.js';
import { silentLogger } from '../../../protocol/logger.js';
import { addDevice, cleanupPrefix, createLan, eventually, removeCtrContainers, startInGroup, type Device, type GroupProc, type Lan } from '../../agent/network/devices.js';
import { DROVER, runtimeContainers, startHub, waitFor, type TestHub } from '../support.js';

export interface ClusterNode {
  name: string;
  runtime: 'containerd' | 'docker';
  /** The device (containerd nodes); undefined for the Docker node in the host's namespace. */
  device?: Device;
  dataDir: string;
  agent: GroupProc;
}

export interface Cluster {
  prefix: string;
  lan: Lan;
  hub: TestHub;
  nodes: Map<string, ClusterNode>;
  /** Pods' Kubernetes namespace. */
  namespace: string;
  /** A containerd node in a namespace of its own, joined with a fresh token. */
  addDevice(short: string, address: string): Promise<ClusterNode>;
  /** The Docker node in the host's namespace. */
  addDockerNode(short: string): Promise<ClusterNode>;
  apply(manifest: string): Promise<void>;
  /** The hub's end of the LAN down or up: the devices lose the hub (and the host's Docker node), not each other. */
  hubLink(up: boolean): Promise<void>;
  /** Run a shell script in a pod's (first) container, through its runtime (not through the hub: it works with the hub away). */
  sh(pod: string, script: string, timeoutMs?: number): Promise<{ exitCode: number; stdout: string }>;
  podIP(pod: string): Promise<string>;
  nodeJson(name: string): Promise<NodeJson | undefined>;
  waitReady(pod: string): Promise<string>;
  stop(): Promise<void>;
}

export interface NodeJson {
  metadata: { name: string };
  spec?: { podCIDR?: string };
  status?: { conditions?: { type: string; status: string }[]; addresses?: { type: string; address: string }[] };
}

interface PodJson {
  metadata: { name: string; uid?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

/** `GET / HTTP/1.0` with busybox nc from a shell; prints the body's last line (busybox httpd serves one line). */
export const httpGet = (host: string, port: number, path = '/') => `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} ${port} | tail -n 1`;

export const nodeReady = (n: NodeJson | undefined) => n?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

export async function startCluster(opts: { prefix: string; base: string; mqttPort: number; clusterCIDR: string; serviceCIDR: string; upstreamDns?: boolean }): Promise<Cluster> {
  const { prefix } = opts;
  const namespace = prefix;
  await removeCtrContainers('drover', `drover_${namespace}_`);
  await removeDockerOf(prefix);
  const lan = await createLan(prefix, opts.base);
  const dir = await mkdtemp(join(tmpdir(), `drover-${prefix}-`));
  const hub = await startHub(
    ['--mqtt', `${lan.hostIP}:${opts.mqttPort}`, '--tls-san', lan.hostIP, '--cluster-cidr', opts.clusterCIDR, '--service-cidr', opts.serviceCIDR,
      '--node-monitor-grace', '4s', '--eviction-grace', '10m'],
    dir,
  );
  await hub.cli(['create', 'namespace', namespace], { reject: false });
  const nodes = new Map<string, ClusterNode>();
  const netnsDirs: string[] = [];

  const agentArgs = async (name: string, runtime: string, dataDir: string) => {
    const { stdout } = await hub.cli(['token', 'create', '--ttl', '10m']);
    return [DROVER, 'agent', '--hub', `mqtts://${lan.hostIP}:${opts.mqttPort}`, '--token', stdout.trim(), '--name', name, '--runtime', runtime,
      '--data-dir', dataDir, '--status-interval', '1'];
  };
  const json = async <T>(args: string[]) => hub.json<T>(args);
  const pod = async (name: string) => (await json<{ items: PodJson[] }>(['get', 'pods', '-n', namespace])).items.find((p) => p.metadata.name === name);

  const cluster: Cluster = {
    prefix,
    lan,
    hub,
    nodes,
    namespace,
    async addDevice(short, address) {
      const name = `${prefix}-${short}`;
      const device = await addDevice(lan, short, address);
      // the device's own resolver: `ip netns exec` binds /etc/netns/<ns>/resolv.conf over /etc/resolv.conf
      const etc = `/etc/netns/${device.ns}`;
      await mkdir(etc, { recursive: true });
      await writeFile(join(etc, 'resolv.conf'), `nameserver ${lan.hostIP}\n`);
      netnsDirs.push(etc);
      const dataDir = join(dir, `agent-${short}`);
      const agent = startInGroup('ip', ['netns', 'exec', device.ns, process.execPath, ...(await agentArgs(name, 'containerd', dataDir))], { DROVER_LOG_LEVEL: 'info' });
      const node: ClusterNode = { name, runtime: 'containerd', device, dataDir, agent };
      nodes.set(name, node);
      return node;
    },
    async addDockerNode(short) {
      const name = `${prefix}-${short}`;
      const dataDir = join(dir, `agent-${short}`);
      const agent = startInGroup(process.execPath, await agentArgs(name, 'docker', dataDir), { DROVER_LOG_LEVEL: 'info' });
      const node: ClusterNode = { name, runtime: 'docker', dataDir, agent };
      nodes.set(name, node);
      return node;
    },
    async apply(manifest) {
      await hub.cli(['apply', '-n', namespace, '-f', '-'], { input: manifest });
    },
    async hubLink(up) {
      await execa('ip', ['link', 'set', `${prefix}-h`, up ? 'up' : 'down']);
    },
    async sh(podName, script, timeoutMs = 60_000) {
      const p = await pod(podName);
      const node = nodes.get(p?.spec?.nodeName ?? '');
      if (!node) throw new Error(`pod ${podName} is on no node of this cluster`);
      const [id] = await runtimeContainers(node.runtime, podName);
      if (!id) throw new Error(`pod ${podName} has no container`);
      const args = node.runtime === 'docker'
        ? ['docker', ['exec', id, 'sh', '-c', script]] as const
        : ['ctr', ['-n', 'drover', 'tasks', 'exec', '--exec-id', `e${Math.random().toString(36).slice(2, 10)}`, id, 'sh', '-c', script]] as const;
      const r = await execa(args[0], [...args[1]], { reject: false, timeout: timeoutMs });
      return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout) };
    },
    async podIP(podName) {
      return eventually(`${podName}'s IP`, async () => (await pod(podName))?.status?.podIP);
    },
    async nodeJson(name) {
      return (await json<{ items: NodeJson[] }>(['get', 'nodes'])).items.find((n) => n.metadata.name === name);
    },
    async waitReady(podName) {
      return eventually(`${podName} Ready`, async () => {
        const p = await pod(podName);
        const ready = p?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        return ready && p?.status?.podIP ? p.status.podIP : undefined;
      }, 500);
    },
    async stop() {
      // pods deleted through the hub first, so that each agent removes its pods' sandboxes (CNI DEL)
      const pods = (await json<{ items: PodJson[] }>(['get', 'pods', '-n', namespace]).catch(() => ({ items: [] as PodJson[] }))).items;
      const uids = pods.map((p) => p.metadata.uid);
      if (pods.length > 0) await hub.cli(['delete', 'pods', '-n', namespace, ...pods.map((p) => p.metadata.name)], { reject: false }).catch(() => undefined);
      await waitFor('the pods gone', async () => (await json<{ items: PodJson[] }>(['get', 'pods', '-n', namespace])).items.length === 0, 30_000).catch(() => undefined);
      for (const n of nodes.values()) await n.agent.stop();
      await hub.stop();
      await removeCtrContainers('drover', `drover_${namespace}_`);
      await removeDockerOf(prefix);
      for (const uid of uids) if (uid) await execa('ip', ['netns', 'delete', `drover-${uid.replace(/-/g, '')}`], { reject: false });
      const docker = [...nodes.values()].find((n) => n.runtime === 'docker');
      if (docker) {
        // what the Docker node made in the host's namespace: Docker network, bridge, overlay, masquerading, service proxy
        const net = createNodeNetwork({ nodeName: docker.name, runtime: 'docker', dataDir: docker.dataDir, logger: silentLogger(), nodeIP: () => undefined });
        await net.teardownNode().catch(() => undefined);
        await execa('nft', ['delete', 'table', 'ip', 'drover'], { reject: false });
      }
      await cleanupPrefix(prefix);
      for (const d of netnsDirs) await rm(d, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** Docker containers and sandboxes of this test's nodes (node label <prefix>-*). */
async function removeDockerOf(prefix: string): Promise<void> {
  const r = await execa('docker', ['ps', '-a', '-q', '--filter', 'label=io.drover.node'], { reject: false });
  const ids = String(r.stdout).split('\n').filter(Boolean);
  if (ids.length === 0) return;
  const nodes = await execa('docker', ['inspect', '--format', '{{.Id}} {{index .Config.Labels "io.drover.node"}}', ...ids], { reject: false });
  const mine = String(nodes.stdout).split('\n').map((l) => l.split(' ')).filter(([, n]) => n?.startsWith(`${prefix}-`)).map(([id]) => id!);
  if (mine.length > 0) await execa('docker', ['rm', '-f', ...mine], { reject: false });
}

/**
 * The pod network's figures (issue 11), on the cluster of test/e2e/network/cluster.ts: a real hub and two
 * containerd devices (network namespaces on a veth LAN), real agents from dist/.
 *  - Ready to first connection: a backend pod behind a Service becomes Ready (its probe file made); the
 *    time from the hub seeing it Ready to the first connection through the Service from the other device
 *    that it answers (EndpointSlice controller, network set over MQTT, the node's nftables).
 *  - The hop a Service adds: 1000 HTTP GETs (a new TCP connection each) from device a to a pod by its IP and
 *    through a ClusterIP whose only endpoint is that pod, for a pod on a (same node) and on b (over VXLAN).
 *  - Throughput: iperf3 (Debian's package) 5 s TCP between the devices' LAN addresses (the plain link) and
 *    between a pod on a and a pod on b (the overlay), run in the pods' network namespaces.
 *  - DNS: 1000 A queries for a Service's FQDN to the node's cluster DNS, from device a.
 */
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { eventually } from '../agent/network/devices.js';
import { startCluster, type Cluster } from '../e2e/network/cluster.js';
import { TEST_IMAGE, waitFor } from '../e2e/support.js';
import type { BenchResult } from './run.js';

const PREFIX = 'dnb';
const HOP_NOTE = 'ClusterIP median less pod IP median (interleaved); at or below 0: under the noise of the shared machine';
const PROBE = resolve(import.meta.dirname, 'network-probe.ts');

const web = (name: string, node: string, app: string, readyFile = true) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: { app: ${app} }
spec:
  nodeSelector: { kubernetes.io/hostname: ${node} }
  terminationGracePeriodSeconds: 0
  containers:
    - name: web
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", "mkdir -p /tmp/www && echo ${name} > /tmp/www/index.html && ${readyFile ? 'echo ok > /tmp/www/ready && ' : ''}exec httpd -f -p 8080 -h /tmp/www"]
      readinessProbe:
        httpGet: { path: /ready, port: 8080 }
        periodSeconds: 1
        failureThreshold: 1
`;
const service = (name: string, app: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  selector: { app: ${app} }
  ports: [{ port: 80, targetPort: 8080 }]
`;

async function probe<T>(cluster: Cluster, node: string, config: unknown): Promise<T> {
  const ns = cluster.nodes.get(node)!.device!.ns;
  const r = await execa('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', PROBE, JSON.stringify(config)], { timeout: 300_000 });
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

interface PodJson {
  metadata: { name: string; uid: string };
  status?: { conditions?: { type: string; status: string }[] };
}

export async function run(): Promise<BenchResult[]> {
  const cluster = await startCluster({ prefix: PREFIX, base: '10.80.0', mqttPort: 18961, clusterCIDR: '10.48.0.0/16', serviceCIDR: '10.49.0.0/16' });
  const results: BenchResult[] = [];
  const servers: { stop(): Promise<unknown> }[] = [];
  try {
    const a = `${PREFIX}-a`;
    const b = `${PREFIX}-b`;
    await cluster.addDevice('a', '10.80.0.11');
    await cluster.addDevice('b', '10.80.0.12');
    for (const n of [a, b]) await waitFor(`${n} Ready`, async () => (await cluster.nodeJson(n))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 60_000);
    await cluster.apply([web('lat-a', a, 'lat-a'), web('lat-b', b, 'lat-b'), web('late-b', b, 'late', false), service('svc-a', 'lat-a'), service('svc-b', 'lat-b'), service('late', 'late')].join('---\n'));
    const ipA = await cluster.waitReady('lat-a');
    const ipB = await cluster.waitReady('lat-b');
    await cluster.podIP('late-b');
    const clusterIP = async (s: string) => (await cluster.hub.json<{ spec: { clusterIP: string } }>(['get', 'service', s, '-n', cluster.namespace])).spec.clusterIP;
    const [svcA, svcB, late] = [await clusterIP('svc-a'), await clusterIP('svc-b'), await clusterIP('late')];
    await eventually('svc-b answers on a', async () => (await probe<Record<string, unknown>>(cluster, a, { mode: 'http', targets: { t: `${svcB}:80` }, n: 1 })).t);

    // Ready -> first connection through the Service (from device a to the pod on b), 5 times
    const token = (JSON.parse(await readFile(cluster.hub.configPath, 'utf8')) as { token: string }).token;
    const lateReady = async () => {
      const r = await cluster.hub.fetch(`${cluster.hub.httpUrl}/api/v1/namespaces/${cluster.namespace}/pods/late-b`, { headers: { authorization: `Bearer ${token}` } });
      return ((await r.json()) as PodJson).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    };
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      if (i > 0) {
        await cluster.sh('late-b', 'rm -f /tmp/www/ready');
        await eventually('late-b not Ready', async () => !(await lateReady()), 50);
        await new Promise((r) => setTimeout(r, 3000)); // the nodes drop the endpoint
      }
      const first = probe<{ at: number }>(cluster, a, { mode: 'first', target: `${late}:80`, expect: 'late-b' });
      await new Promise((r) => setTimeout(r, 1000));
      await cluster.sh('late-b', 'echo ok > /tmp/www/ready');
      const readyAt = await eventually('late-b Ready at the hub', async () => ((await lateReady()) ? Date.now() : undefined), 10);
      samples.push((await first).at - readyAt);
    }
    samples.sort((x, y) => x - y);
    results.push({ name: 'ready-to-first-connection median', value: samples[2]!, unit: 'ms', note: `5 samples (${samples.join(', ')} ms): the hub's API shows the pod Ready (polled every 10 ms) -> first answer through its ClusterIP from the other device (polled every 10 ms)` });
    results.push({ name: 'ready-to-first-connection max', value: samples[4]!, unit: 'ms' });

    // the hop a Service adds
    const lat = await probe<Record<string, { median: number; p99: number }>>(cluster, a, {
      mode: 'http',
      n: 1000,
      targets: { 'same-node pod IP': `${ipA}:8080`, 'same-node ClusterIP': `${svcA}:80`, 'overlay pod IP': `${ipB}:8080`, 'overlay ClusterIP': `${svcB}:80` },
    });
    for (const [name, s] of Object.entries(lat)) {
      results.push({ name: `http GET ${name} median`, value: s.median, unit: 'ms', note: '1000 GETs from device a, a new TCP connection each' });
      results.push({ name: `http GET ${name} p99`, value: s.p99, unit: 'ms' });
    }
    results.push({ name: 'Service hop, same node (median)', value: Math.round((lat['same-node ClusterIP']!.median - lat['same-node pod IP']!.median) * 1000) / 1000, unit: 'ms', note: HOP_NOTE });
    results.push({ name: 'Service hop, over the overlay (median)', value: Math.round((lat['overlay ClusterIP']!.median - lat['overlay pod IP']!.median) * 1000) / 1000, unit: 'ms', note: HOP_NOTE });

    // throughput: the plain link and the overlay (iperf3 in the devices' and the pods' namespaces)
    const podNs = async (pod: string) => {
      const p = (await cluster.hub.json<{ items: PodJson[] }>(['get', 'pods', '-n', cluster.namespace])).items.find((x) => x.metadata.name === pod)!;
      return `drover-${p.metadata.uid.replace(/-/g, '')}`;
    };
    const iperf = async (serverNs: string, clientNs: string, target: string) => {
      const server = execa('ip', ['netns', 'exec', serverNs, 'iperf3', '-s', '-1', '-p', '5201'], { reject: false });
      servers.push({ stop: async () => server.kill('SIGTERM') });
      await new Promise((r) => setTimeout(r, 500));
      const r = await execa('ip', ['netns', 'exec', clientNs, 'iperf3', '-c', target, '-p', '5201', '-t', '5', '-J'], { timeout: 60_000 });
      await server;
      const j = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
      return Math.round(j.end.sum_received.bits_per_second / 1e6);
    };
    const devA = cluster.nodes.get(a)!.device!;
    const devB = cluster.nodes.get(b)!.device!;
    results.push({ name: 'iperf3 TCP, plain link (device a -> device b)', value: await iperf(devB.ns, devA.ns, devB.ip), unit: 'Mbit/s', note: '5 s, veth LAN through a bridge' });
    results.push({ name: 'iperf3 TCP, overlay (pod on a -> pod on b)', value: await iperf(await podNs('lat-b'), await podNs('lat-a'), ipB), unit: 'Mbit/s', note: '5 s, VXLAN over the same LAN, MTU 1450' });

    // DNS
    const dnsServer = ((await cluster.nodeJson(a))!.spec!.podCIDR!).replace(/\.0\/\d+$/, '.1');
    const dns = await probe<{ median: number; p99: number }>(cluster, a, { mode: 'dns', server: dnsServer, name: `svc-b.${cluster.namespace}.svc.cluster.local`, n: 1000 });
    results.push({ name: 'cluster DNS A answer median', value: dns.median, unit: 'ms', note: "1000 UDP queries from device a to its node's cluster DNS" });
    results.push({ name: 'cluster DNS A answer p99', value: dns.p99, unit: 'ms' });
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    await cluster.stop();
  }
  return results;
}

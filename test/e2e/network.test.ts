/**
 * The pod network, Services and cluster DNS end to end (issue 11): a real `drover hub` and real agents from
 * dist/, each containerd node a "device" in its own network namespace on a LAN (test/e2e/network/cluster.ts),
 * so what goes between nodes really crosses a link, over the VXLAN overlay; a Docker node in the host's own
 * namespace (Docker's daemon is the host's) in the same cluster. Commands in pods run through the runtime
 * (ctr / docker exec), so they work with the hub away too.
 *
 * Nodes: dne-a, dne-b (containerd devices 10.79.0.11/.12), dne-d (Docker, the host), later dne-c (joins, is
 * deleted). Pods: api-a1, api-a2 (on a), api-b1 (on b): httpd on 8080 answering their name, Ready while
 * /tmp/www/ready exists; front-a (on a) the client; web-d (on d).
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../agent/network/devices.js';
import { startUpstream, type Upstream } from '../agent/network/dns-client.js';
import { httpGet, nodeReady, startCluster, type Cluster } from './network/cluster.js';
import { TEST_IMAGE, waitFor } from './support.js';

const PREFIX = 'dne';
const NS = PREFIX;
const CLUSTER_CIDR = '10.46.0.0/16';
const SERVICE_CIDR = '10.47.0.0/16';
const NODE_PORT = 31879;
const A = `${PREFIX}-a`;
const B = `${PREFIX}-b`;
const C = `${PREFIX}-c`;
const D = `${PREFIX}-d`;

const web = (name: string, node: string, app: string, readiness = true) => `apiVersion: v1
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
      command: ["sh", "-c", "mkdir -p /tmp/www && echo ${name} > /tmp/www/index.html && echo ok > /tmp/www/ready && exec httpd -f -p 8080 -h /tmp/www"]
      ports: [{ name: http, containerPort: 8080 }]
${readiness ? `      readinessProbe:
        httpGet: { path: /ready, port: 8080 }
        periodSeconds: 1
        failureThreshold: 1
` : ''}`;

const client = (name: string, node: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeSelector: { kubernetes.io/hostname: ${node} }
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sleep", "3600"]
`;

const services = `apiVersion: v1
kind: Service
metadata: { name: api }
spec:
  selector: { app: api }
  ports: [{ name: http, port: 80, targetPort: http }]
---
apiVersion: v1
kind: Service
metadata: { name: api-headless }
spec:
  clusterIP: None
  selector: { app: api }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: api-np }
spec:
  type: NodePort
  selector: { app: api }
  ports: [{ port: 80, targetPort: 8080, nodePort: ${NODE_PORT} }]
`;

interface ServiceJson {
  spec: { clusterIP?: string };
}
interface SliceJson {
  metadata: { labels?: Record<string, string> };
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
}

/** `n` GETs through `url`'s host:port from a pod; the bodies counted by answer. */
async function tally(cluster: Cluster, from: string, host: string, port: number, n: number): Promise<Record<string, number>> {
  const r = await cluster.sh(from, `i=0; while [ $i -lt ${n} ]; do ${httpGet(host, port)}; i=$((i+1)); done`, 180_000);
  const counts: Record<string, number> = {};
  for (const line of r.stdout.split('\n').map((l) => l.trim())) counts[line || '(none)'] = (counts[line || '(none)'] ?? 0) + 1;
  return counts;
}

describe('pod network, Services and DNS across devices', () => {
  let cluster: Cluster;
  let upstream: Upstream;
  let apiIP = '';
  const ips: Record<string, string> = {};

  const readyEndpoints = async (service: string) => {
    const slices = (await cluster.hub.json<{ items: SliceJson[] }>(['get', 'endpointslices', '-n', NS])).items.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === service);
    return slices.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses)).sort();
  };
  const routeOn = async (node: string, cidr: string) => (await cluster.nodes.get(node)!.device!.exec('ip', ['route', 'show', cidr])).stdout;

  beforeAll(async () => {
    cluster = await startCluster({ prefix: PREFIX, base: '10.79.0', mqttPort: 18951, clusterCIDR: CLUSTER_CIDR, serviceCIDR: SERVICE_CIDR });
    // the devices' own resolver (their /etc/resolv.conf), where cluster DNS forwards what is not the cluster's
    upstream = await startUpstream(cluster.lan.hostIP, { 'outside.example.': '192.0.2.77', 'outside.example': '192.0.2.77' }, { port: 53 });
    await cluster.addDevice('a', '10.79.0.11');
    await cluster.addDevice('b', '10.79.0.12');
    await cluster.addDockerNode('d');
    for (const n of [A, B, D]) await waitFor(`${n} Ready`, async () => nodeReady(await cluster.nodeJson(n)), 60_000);
    await cluster.apply([web('api-a1', A, 'api'), web('api-a2', A, 'api'), web('api-b1', B, 'api'), client('front-a', A), web('web-d', D, 'webd', false), services].join('---\n'));
    for (const p of ['api-a1', 'api-a2', 'api-b1', 'web-d']) ips[p] = await cluster.waitReady(p);
    ips['front-a'] = await cluster.podIP('front-a');
    apiIP = (await cluster.hub.json<ServiceJson>(['get', 'service', 'api', '-n', NS])).spec.clusterIP!;
  }, 180_000);

  afterAll(async () => {
    if (process.env.DNE_HOLD) await new Promise((r) => setTimeout(r, Number(process.env.DNE_HOLD) * 1000));
    await cluster?.stop();
    await upstream?.close();
  }, 120_000);

  it("pods get IPs from their own node's pod CIDR and reach each other by IP, across the overlay and between containerd and Docker nodes", async () => {
    const cidr = async (n: string) => (await cluster.nodeJson(n))!.spec!.podCIDR!;
    const prefixOf = (c: string) => c.split('.').slice(0, 3).join('.') + '.';
    const [ca, cb, cd] = [await cidr(A), await cidr(B), await cidr(D)];
    expect(new Set([ca, cb, cd]).size).toBe(3);
    for (const c of [ca, cb, cd]) expect(c).toMatch(/^10\.46\.\d+\.0\/24$/);
    expect(ips['api-a1']!.startsWith(prefixOf(ca))).toBe(true);
    expect(ips['front-a']!.startsWith(prefixOf(ca))).toBe(true);
    expect(ips['api-b1']!.startsWith(prefixOf(cb))).toBe(true);
    expect(ips['web-d']!.startsWith(prefixOf(cd))).toBe(true);
    // the Docker node's bridge (dockerd's, in the host's namespace) holds its gateway alone: another agent running
    // the pod network in this machine's namespace at the same time (drover up's) would put its own address there
    const gateway = `${prefixOf(cd)}1/24`;
    const bridge = (await execa('ip', ['-4', '-br', 'addr', 'show', 'dev', 'drover0'])).stdout.trim().split(/\s+/).slice(2);
    expect(bridge, 'drover0 on the host: only the Docker node gateway (is another agent running the pod network on this machine?)').toEqual([gateway]);
    // a -> a, a -> b over the overlay, a -> d (Docker, the host), d -> b
    expect((await cluster.sh('front-a', httpGet(ips['api-a2']!, 8080))).stdout.trim()).toBe('api-a2');
    expect((await eventually('a -> b', async () => (await cluster.sh('front-a', httpGet(ips['api-b1']!, 8080))).stdout.trim() || undefined))).toBe('api-b1');
    expect((await eventually('a -> d', async () => (await cluster.sh('front-a', httpGet(ips['web-d']!, 8080))).stdout.trim() || undefined))).toBe('web-d');
    expect((await eventually('d -> b', async () => (await cluster.sh('web-d', httpGet(ips['api-b1']!, 8080))).stdout.trim() || undefined))).toBe('api-b1');
  }, 60_000);

  it('a frontend on a reaches the Service whose 3 backends sit on a and b: over 300 requests every backend answers some', async () => {
    expect(apiIP.startsWith('10.47.')).toBe(true);
    await eventually('3 ready endpoints', async () => (await readyEndpoints('api')).length === 3);
    await eventually('the Service answers on a', async () => (await cluster.sh('front-a', httpGet(apiIP, 80))).stdout.trim().startsWith('api-'));
    const counts = await tally(cluster, 'front-a', apiIP, 80, 300);
    expect(Object.keys(counts).sort()).toEqual(['api-a1', 'api-a2', 'api-b1']);
    for (const n of Object.values(counts)) expect(n).toBeGreaterThan(30);
    // and from the Docker node's pod
    expect((await cluster.sh('web-d', httpGet(apiIP, 80))).stdout.trim()).toMatch(/^api-(a1|a2|b1)$/);
  }, 120_000);

  it('cluster DNS: the short name, the FQDN, a headless Service, SRV, and an outside name forwarded to the node resolver', async () => {
    // through the hub too, as the issue's flow: drover exec
    const viaExec = await cluster.hub.cli(['exec', '-n', NS, 'front-a', '--', 'nslookup', 'api'], { reject: false });
    expect(viaExec.stdout).toContain(apiIP);
    const fqdn = await cluster.sh('front-a', `nslookup api.${NS}.svc.cluster.local`);
    expect(fqdn.stdout).toContain(apiIP);
    // the Service reached by its name (the image's static busybox wget cannot resolve names: no NSS; its nslookup can)
    const byName = (name: string) => cluster.sh('front-a', `a=$(nslookup ${name} | awk '/^Address: /{print $2}' | tail -n 1); ${httpGet('$a', 80)}`);
    expect((await byName(`api.${NS}.svc.cluster.local`)).stdout.trim()).toMatch(/^api-(a1|a2|b1)$/);
    expect((await byName('api')).stdout.trim()).toMatch(/^api-(a1|a2|b1)$/);
    const headless = await cluster.sh('front-a', 'nslookup api-headless');
    for (const p of ['api-a1', 'api-a2', 'api-b1']) expect(headless.stdout).toContain(ips[p]!);
    expect(headless.stdout).not.toContain(apiIP);
    const srv = await cluster.sh('front-a', `nslookup -type=SRV _http._tcp.api.${NS}.svc.cluster.local`);
    expect(srv.stdout).toMatch(new RegExp(`80\\s+api\\.${NS}\\.svc\\.cluster\\.local`));
    const outside = await cluster.sh('front-a', 'nslookup outside.example');
    expect(outside.stdout).toContain('192.0.2.77');
    expect(upstream.queries.map((q) => q.toLowerCase())).toContain('outside.example');
  }, 60_000);

  it("a NodePort answers on every node's address (containerd devices and the Docker host)", async () => {
    const dAddress = (await cluster.nodeJson(D))!.status!.addresses!.find((a) => a.type === 'InternalIP')!.address;
    for (const address of ['10.79.0.11', '10.79.0.12', dAddress]) {
      const body = await eventually(`NodePort on ${address}`, async () => {
        const r = await fetch(`http://${address}:${NODE_PORT}/`, { signal: AbortSignal.timeout(3000) });
        return (await r.text()).trim();
      });
      expect(body).toMatch(/^api-(a1|a2|b1)$/);
    }
  }, 60_000);

  it('a backend failing its readiness probe leaves the endpoints and gets no new connections; ready again, it is back', async () => {
    await cluster.sh('api-a2', 'rm /tmp/www/ready');
    await eventually('api-a2 out of the endpoints', async () => !(await readyEndpoints('api')).includes(ips['api-a2']!));
    // the node's proxy follows the new set within a moment; then not one new connection reaches api-a2
    await eventually('a drops api-a2', async () => !JSON.stringify(await tally(cluster, 'front-a', apiIP, 80, 20)).includes('api-a2'));
    const counts = await tally(cluster, 'front-a', apiIP, 80, 100);
    expect(Object.keys(counts).sort()).toEqual(['api-a1', 'api-b1']);
    await cluster.sh('api-a2', 'echo ok > /tmp/www/ready');
    await eventually('api-a2 back', async () => JSON.stringify(await tally(cluster, 'front-a', apiIP, 80, 20)).includes('api-a2'));
  }, 90_000);

  it('the link to the hub cut: the devices go on routing the Service to the pods they reach', async () => {
    await cluster.hubLink(false);
    try {
      await waitFor('a NotReady at the hub', async () => !nodeReady(await cluster.nodeJson(A)), 30_000);
      const counts = await tally(cluster, 'front-a', apiIP, 80, 60);
      expect(Object.keys(counts).sort()).toEqual(['api-a1', 'api-a2', 'api-b1']);
      // the device's own DNS answers from the last set too
      expect((await cluster.sh('front-a', 'nslookup api')).stdout).toContain(apiIP);
    } finally {
      await cluster.hubLink(true);
    }
    for (const n of [A, B]) await waitFor(`${n} Ready again`, async () => nodeReady(await cluster.nodeJson(n)), 60_000);
  }, 120_000);

  it("a node that joins gets routes on every other node, and a deleted node's routes leave them", async () => {
    await cluster.addDevice('c', '10.79.0.13');
    await waitFor('c Ready', async () => nodeReady(await cluster.nodeJson(C)), 60_000);
    const cc = (await waitFor('c has a pod CIDR', async () => (await cluster.nodeJson(C))?.spec?.podCIDR, 30_000))!;
    for (const n of [A, B]) await eventually(`route to c on ${n}`, async () => (await routeOn(n, cc)).includes('drover.1'));
    await cluster.apply(web('web-c', C, 'webc', false));
    const ipc = await cluster.podIP('web-c');
    expect((await eventually('a -> c', async () => (await cluster.sh('front-a', httpGet(ipc, 8080))).stdout.trim() || undefined))).toBe('web-c');
    await cluster.hub.cli(['delete', 'pod', '-n', NS, 'web-c']);
    await cluster.nodes.get(C)!.agent.stop();
    await cluster.hub.cli(['delete', 'node', C]);
    for (const n of [A, B]) await eventually(`route to c gone on ${n}`, async () => !(await routeOn(n, cc)).includes('drover.1'));
    // a and b still reach each other
    expect((await cluster.sh('front-a', httpGet(ips['api-b1']!, 8080))).stdout.trim()).toBe('api-b1');
  }, 120_000);
});

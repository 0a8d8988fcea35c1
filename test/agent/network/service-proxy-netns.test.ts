/**
 * The service proxy for real: nftables in a "node" network namespace with a bridge and three "pod"
 * namespaces on it, each running a small TCP and UDP server, and an "external" namespace on the node's
 * LAN (service-proxy-lab.ts). The proxy runs nft in the node namespace through nsenter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceProxy, type ServiceProxy } from '../../../agent/network/service-proxy.js';
import type { NetworkService } from '../../../protocol/messages.js';
import { silentLogger } from '../../../protocol/logger.js';
import { createExecaRunner } from '../../../runtime-adapters/process-runner.js';
import { endpoint, networkSet, service } from './fixtures.js';
import { BRIDGE_IP, createLab, NODE_LAN_IP, POD_IPS, startPodServers, type Lab } from './service-proxy-lab.js';

const [P1, P2, P3] = POD_IPS;
const WEB_IP = '10.43.0.10';
const STICKY_IP = '10.43.0.11';
const EMPTY_IP = '10.43.0.12';
const UDP_IP = '10.43.0.13';

function services(notReady: string[] = [], terminating: string[] = []): NetworkService[] {
  const eps = () => POD_IPS.map((ip) => endpoint(ip, { ready: !notReady.includes(ip) && !terminating.includes(ip), terminating: terminating.includes(ip) }));
  return [
    service('web', { type: 'NodePort', clusterIP: WEB_IP, ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }], endpoints: eps() }),
    service('sticky', { clusterIP: STICKY_IP, sessionAffinity: 'ClientIP', ports: [{ protocol: 'TCP', port: 80, targetPort: 8080 }], endpoints: eps() }),
    service('empty', { type: 'NodePort', clusterIP: EMPTY_IP, ports: [{ protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30082 }, { name: 'u', protocol: 'UDP', port: 53, targetPort: 5353 }], endpoints: [] }),
    service('echo-udp', { clusterIP: UDP_IP, ports: [{ name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353 }], endpoints: eps() }),
    service('headless', { clusterIP: undefined, endpoints: eps() }),
  ];
}

const answeredBy = (tally: Record<string, number>) => Object.keys(tally).filter((k) => /^pod\d$/.test(k)).sort();
const total = (tally: Record<string, number>) => Object.values(tally).reduce((a, b) => a + b, 0);

describe('service proxy in network namespaces (real nft, real connections)', () => {
  let lab: Lab;
  let proxy: ServiceProxy;
  const listTable = () => lab.exec(lab.node, ['nft', 'list', 'table', 'ip', 'drover']);
  /** The table without the affinity elements' countdowns. */
  const tableNow = async () => (await listTable()).replace(/ expires [^ ,}]+/g, '');

  beforeAll(async () => {
    lab = await createLab('svp');
    await startPodServers(lab);
    proxy = createServiceProxy({ logger: silentLogger(), runner: createExecaRunner(), netnsPath: lab.nodeNetnsPath });
    const first = await proxy.apply(networkSet(services()));
    expect(first).toMatchObject({ changed: true, served: 3, rejected: 2 });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('over 300 connections from a pod to the ClusterIP: every ready endpoint answers some, the pod itself too (hairpin)', async () => {
    const tally = await lab.tally(lab.pods[0]!, 'tcp', WEB_IP, 80, 300);
    expect(total(tally)).toBe(300);
    expect(answeredBy(tally)).toEqual(['pod1', 'pod2', 'pod3']);
    expect(tally.pod1! + tally.pod2! + tally.pod3!).toBe(300);
  });

  it('from the node itself to the ClusterIP (output hook)', async () => {
    const tally = await lab.tally(lab.node, 'tcp', WEB_IP, 80, 60);
    expect(tally.pod1! + tally.pod2! + tally.pod3!).toBe(60);
    expect(answeredBy(tally)).toEqual(['pod1', 'pod2', 'pod3']);
  });

  it('NodePort on the node\'s address answers from the LAN and from the node, masqueraded', async () => {
    const fromLan = await lab.tally(lab.ext, 'tcp', NODE_LAN_IP, 30080, 60);
    expect(fromLan.pod1! + fromLan.pod2! + fromLan.pod3!).toBe(60);
    expect(answeredBy(fromLan).length).toBeGreaterThanOrEqual(2);
    const fromNode = await lab.tally(lab.node, 'tcp', NODE_LAN_IP, 30080, 30);
    expect(total(fromNode)).toBe(30);
    expect(answeredBy(fromNode).length).toBeGreaterThanOrEqual(2);
    // and on the bridge address, from a pod
    const fromPod = await lab.tally(lab.pods[1]!, 'tcp', BRIDGE_IP, 30080, 30);
    expect(fromPod.pod1! + fromPod.pod2! + fromPod.pod3!).toBe(30);
  });

  it('ClientIP affinity keeps one client on one endpoint', async () => {
    const a = await lab.tally(lab.pods[1]!, 'tcp', STICKY_IP, 80, 50);
    expect(Object.values(a)).toEqual([50]);
    expect(answeredBy(a)).toHaveLength(1);
    expect(await lab.tally(lab.pods[1]!, 'tcp', STICKY_IP, 80, 20)).toEqual({ [answeredBy(a)[0]!]: 20 });
    // the client's address sits in the chosen endpoint's affinity set, with the 3 h timeout
    expect(await listTable()).toMatch(new RegExp(`elements = \\{ ${P2!.replace(/\./g, '\\.')} (timeout 3h )?expires`));
  });

  it('no endpoints: refused at once (TCP reset, ICMP for UDP), on the ClusterIP, its NodePort, and unknown ports or addresses', async () => {
    expect(await lab.tally(lab.pods[0]!, 'tcp', EMPTY_IP, 80, 3)).toEqual({ ECONNREFUSED: 3 });
    expect(await lab.tally(lab.ext, 'tcp', NODE_LAN_IP, 30082, 3)).toEqual({ ECONNREFUSED: 3 });
    expect(await lab.tally(lab.node, 'tcp', EMPTY_IP, 80, 3)).toEqual({ ECONNREFUSED: 3 });
    expect(await lab.tally(lab.pods[0]!, 'tcp', WEB_IP, 81, 2)).toEqual({ ECONNREFUSED: 2 });
    expect(await lab.tally(lab.pods[0]!, 'tcp', '10.43.9.9', 80, 2)).toEqual({ ECONNREFUSED: 2 });
    expect(await lab.tally(lab.pods[0]!, 'udp', EMPTY_IP, 53, 2)).toEqual({ ECONNREFUSED: 2 });
  });

  it('a UDP Service balances datagrams from new sockets over its endpoints', async () => {
    const tally = await lab.tally(lab.pods[2]!, 'udp', UDP_IP, 53, 90);
    expect(tally.pod1! + tally.pod2! + tally.pod3!).toBe(90);
    expect(answeredBy(tally)).toEqual(['pod1', 'pod2', 'pod3']);
  });

  it('a UDP client that keeps its socket moves off an endpoint that left (its conntrack entry is deleted)', async () => {
    // one socket, datagrams until the answer comes from the endpoint that will leave... (the first flow
    // decides: one socket is one flow) so: find a socket whose flow went to pod3
    const script = `
      const dgram = require('node:dgram');
      const [host, port] = process.argv.slice(1);
      const s = dgram.createSocket('udp4');
      s.connect(Number(port), host, () => {
        s.on('message', (m) => console.log(m.toString()));
        s.send('q');
        process.stdin.on('data', () => s.send('q'));
      });`;
    let client: Awaited<ReturnType<Lab['hold']>> | undefined;
    try {
      for (let i = 0; i < 60; i++) {
        const c = lab.start(lab.pods[0]!, [process.execPath, '-e', script, UDP_IP, '53']);
        const first = (await c.waitFor(/\n/, 'the first UDP answer')).split('\n')[0]!;
        if (first === 'pod3') {
          client = Object.assign(c, { endpoint: first });
          break;
        }
        await c.stop();
      }
      expect(client?.endpoint).toBe('pod3');
      client!.write('again\n');
      await client!.waitFor(/pod3\npod3\n/, 'a second answer from the same flow');
      await proxy.apply(networkSet(services([P3!])));
      client!.write('again\n');
      const out = await client!.waitFor(/pod3\npod3\n(pod1|pod2)\n/, 'an answer from another endpoint on the same socket');
      expect(out.split('\n').filter(Boolean)).toHaveLength(3);
    } finally {
      await client?.stop();
      await proxy.apply(networkSet(services()));
    }
  });

  it('applying the same set again changes nothing, in the table or for a connection', async () => {
    const held = await lab.hold(lab.pods[0]!, WEB_IP, 80);
    try {
      const before = await tableNow();
      const again = await proxy.apply(networkSet(services()));
      expect(again.changed).toBe(false);
      expect(await tableNow()).toBe(before);
      held.write('ping\n');
      await held.waitFor(new RegExp(`${held.endpoint}:ping`), 'the answer on the held connection');
    } finally {
      await held.stop();
    }
  });

  it('an endpoint marked not ready gets no new connections; a terminating one finishes its own', async () => {
    // hold a connection to each endpoint (pod3's first)
    const held: Awaited<ReturnType<Lab['hold']>>[] = [];
    try {
      for (let i = 0; i < 60 && !held.some((h) => h.endpoint === 'pod3'); i++) {
        const h = await lab.hold(lab.pods[0]!, WEB_IP, 80);
        if (h.endpoint === 'pod3') held.push(h);
        else await h.stop();
      }
      expect(held.map((h) => h.endpoint)).toEqual(['pod3']);
      const sticky = await lab.tally(lab.pods[1]!, 'tcp', STICKY_IP, 80, 1);

      // pod1 not ready, pod3 terminating: a new ruleset, in one transaction
      const changed = await proxy.apply(networkSet(services([P1!], [P3!])));
      expect(changed.changed).toBe(true);
      const tally = await lab.tally(lab.pods[1]!, 'tcp', WEB_IP, 80, 300);
      expect(tally).toEqual({ pod2: 300 });
      const lan = await lab.tally(lab.ext, 'tcp', NODE_LAN_IP, 30080, 30);
      expect(lan).toEqual({ pod2: 30 });

      // the held connection to pod3 still works (conntrack keeps it through the change)
      held[0]!.write('still-there\n');
      await held[0]!.waitFor(/pod3:still-there/, 'the answer from the terminating endpoint');

      // ready again: traffic comes back; the sticky client kept its endpoint if that endpoint stayed
      await proxy.apply(networkSet(services()));
      const back = await lab.tally(lab.pods[1]!, 'tcp', WEB_IP, 80, 300);
      expect(answeredBy(back)).toEqual(['pod1', 'pod2', 'pod3']);
      if (sticky.pod2) expect(await lab.tally(lab.pods[1]!, 'tcp', STICKY_IP, 80, 10)).toEqual({ pod2: 10 });
    } finally {
      await Promise.all(held.map((h) => h.stop()));
    }
  });

  it('a Service that loses all its endpoints refuses at once; clear() removes every rule', async () => {
    await proxy.apply(networkSet(services(POD_IPS.slice())));
    expect(await lab.tally(lab.pods[0]!, 'tcp', WEB_IP, 80, 3)).toEqual({ ECONNREFUSED: 3 });
    await proxy.apply(networkSet(services()));
    expect(total(await lab.tally(lab.pods[0]!, 'tcp', WEB_IP, 80, 3))).toBe(3);
    await proxy.clear();
    await expect(listTable()).rejects.toThrow(/No such file or directory/);
    await proxy.clear(); // again: nothing to remove, no error
    // and applying again after a clear starts from nothing
    expect((await proxy.apply(networkSet(services()))).changed).toBe(true);
    expect(answeredBy(await lab.tally(lab.pods[0]!, 'tcp', WEB_IP, 80, 30)).length).toBeGreaterThanOrEqual(2);
  });
});

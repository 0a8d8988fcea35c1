/**
 * Cluster DNS through the resolvers pods really use: the server runs in the node's network namespace
 * on its bridge address (10.42.0.1:53), with an upstream on another address of the node; each pod
 * namespace has the resolv.conf the pod network writes for ClusterFirst pods (`ip netns exec` mounts
 * /etc/netns/<pod>/resolv.conf), so glibc's getaddrinfo (getent, node's dns.lookup) expands the short
 * names through the search path, and c-ares (node's dns.resolve*) asks for SRV records. With the
 * service proxy applied too, a pod reaches a Service by its short name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceProxy } from '../../../agent/network/service-proxy.js';
import { silentLogger } from '../../../protocol/logger.js';
import { createExecaRunner } from '../../../runtime-adapters/process-runner.js';
import { endpoint, networkSet, service } from './fixtures.js';
import { BRIDGE_IP, createLab, POD_IPS, startPodServers, type Lab, type LabProcess } from './service-proxy-lab.js';
import { execa } from 'execa';

const UPSTREAM_IP = '198.51.100.53';
const RESOLV_CONF = `nameserver ${BRIDGE_IP}\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`;

const set = networkSet([
  service('web', { clusterIP: '10.43.0.10', ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }], endpoints: POD_IPS.map((ip) => endpoint(ip)) }),
  service('db', {
    namespace: 'shop',
    clusterIP: undefined,
    ports: [{ name: 'pg', protocol: 'TCP', port: 5432, targetPort: 8080 }],
    endpoints: [endpoint(POD_IPS[1], { hostname: 'db-0' }), endpoint(POD_IPS[2], { hostname: 'db-1' })],
  }),
]);

describe('cluster DNS from pod namespaces (real resolvers)', () => {
  let lab: Lab;
  let server: LabProcess;
  const getent = async (pod: string, name: string) => {
    const r = await execa('ip', ['netns', 'exec', pod, 'getent', 'ahostsv4', name], { reject: false });
    return r.exitCode === 0 ? [...new Set(r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]))].sort() : `exit ${r.exitCode}`;
  };

  beforeAll(async () => {
    lab = await createLab('svd', { resolvConf: RESOLV_CONF });
    await lab.exec(lab.node, ['ip', 'addr', 'add', `${UPSTREAM_IP}/32`, 'dev', 'lo']);
    const config = { listenAddress: BRIDGE_IP, upstreamAddress: UPSTREAM_IP, upstreamRecords: { 'example.com': '93.184.216.34' }, set };
    server = lab.start(lab.node, [process.execPath, '--import', 'tsx', 'test/agent/network/dns-netns-server.ts', JSON.stringify(config)]);
    await server.waitFor(/ready/, 'cluster DNS in the node namespace', 60_000);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('short names, namespace-qualified names and full names of a Service (glibc, search path)', async () => {
    const pod = lab.pods[0]!;
    expect(await getent(pod, 'web')).toEqual(['10.43.0.10']);
    expect(await getent(pod, 'web.default')).toEqual(['10.43.0.10']);
    expect(await getent(pod, 'web.default.svc')).toEqual(['10.43.0.10']);
    expect(await getent(pod, 'web.default.svc.cluster.local')).toEqual(['10.43.0.10']);
    expect(await getent(pod, 'web.default.svc.cluster.local.')).toEqual(['10.43.0.10']);
  });

  it('a headless Service answers with its endpoints, each endpoint by its hostname', async () => {
    const pod = lab.pods[0]!;
    expect(await getent(pod, 'db.shop')).toEqual([POD_IPS[1], POD_IPS[2]].sort());
    expect(await getent(pod, 'db-1.db.shop')).toEqual([POD_IPS[2]]);
  });

  it('SRV for a named port (c-ares)', async () => {
    const out = await lab.nodeScript(
      lab.pods[0]!,
      `const dns = require('node:dns').promises;
       Promise.all([dns.resolveSrv('_http._tcp.web.default.svc.cluster.local'), dns.resolveSrv('_pg._tcp.db.shop.svc.cluster.local')])
         .then((r) => console.log(JSON.stringify(r)), (e) => console.log(JSON.stringify(e.code)));`,
      [],
    );
    const [web, db] = JSON.parse(out) as { name: string; port: number; priority: number; weight: number }[][];
    expect(web).toEqual([{ name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
    expect(db!.map((r) => `${r.name}:${r.port}`).sort()).toEqual(['db-0.db.shop.svc.cluster.local:8080', 'db-1.db.shop.svc.cluster.local:8080']);
  });

  it('an outside name goes to the upstream; a name that exists nowhere is not found', async () => {
    expect(await getent(lab.pods[1]!, 'example.com')).toEqual(['93.184.216.34']);
    expect(await getent(lab.pods[1]!, 'nothere')).toBe('exit 2');
    expect(await getent(lab.pods[1]!, 'web.otherns')).toBe('exit 2');
  });

  it('with the service proxy, a pod reaches a Service by its short name', async () => {
    await startPodServers(lab);
    const proxy = createServiceProxy({ logger: silentLogger(), runner: createExecaRunner(), netnsPath: lab.nodeNetnsPath });
    await proxy.apply(set);
    const out = await lab.nodeScript(
      lab.pods[0]!,
      `const net = require('node:net');
       (async () => {
         const seen = {};
         for (let i = 0; i < 30; i++) {
           const name = await new Promise((resolve) => {
             const s = net.connect({ host: 'web', port: 80 });
             let b = '';
             s.on('data', (d) => { b += d; if (b.includes('\\n')) { s.destroy(); resolve(b.split('\\n')[0]); } });
             s.on('error', (e) => resolve(e.code));
           });
           seen[name] = (seen[name] || 0) + 1;
         }
         console.log(JSON.stringify(seen));
       })();`,
      [],
    );
    const seen = JSON.parse(out) as Record<string, number>;
    expect(Object.values(seen).reduce((a, b) => a + b, 0)).toBe(30);
    expect(Object.keys(seen).every((k) => /^pod[123]$/.test(k))).toBe(true);
  });

  it('a new set is answered at once', async () => {
    const next = networkSet([service('web', { clusterIP: '10.43.0.99', endpoints: [] })], { generation: 8 });
    server.write(`${JSON.stringify(next)}\n`);
    await server.waitFor(/updated/, 'the update');
    expect(await getent(lab.pods[2]!, 'web')).toEqual(['10.43.0.99']);
    expect(await getent(lab.pods[2]!, 'db.shop')).toBe('exit 2');
  });
});

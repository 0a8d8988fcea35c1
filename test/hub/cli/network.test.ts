/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON objects */
/** `expose`, `get services,endpointslices`, `describe service` against a real API server and SQLite store. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../../hub/api/index.js';
import { captureIO } from '../../../hub/cli/io.js';
import { runCli } from '../../../hub/cli/program.js';
import { createSqliteStore } from '../../../hub/store/index.js';
import type { Store } from '../../../hub/store/store.js';
import { silentLogger } from '../../../protocol/logger.js';
import { createFakeAuth } from '../api/support.js';

describe('network CLI', () => {
  let dir: string;
  let store: Store;
  let api: ApiServer;
  let env: Record<string, string>;
  const drover = async (args: string[]) => {
    const io = captureIO({ env });
    const code = await runCli(args, io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-cnet-'));
    store = await createSqliteStore({ path: join(dir, 'state.db'), logger: silentLogger() });
    const auth = createFakeAuth();
    api = createApiServer({ store, auth, logger: silentLogger() });
    const { port } = await api.listen('127.0.0.1', 0);
    env = { DROVER_SERVER: `http://127.0.0.1:${port}`, DROVER_TOKEN: auth.issue('admin'), DROVER_CONFIG: join(dir, 'none.json') };
    await store.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    } as any);
  });
  afterAll(async () => {
    await api.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('expose makes a Service selecting the deployment\'s pods; get shows it as kubectl does', async () => {
    const res = await drover(['expose', 'deployment', 'api', '--port', '80', '--target-port', '8080']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('service/api exposed\n');
    const svc = await store.get<any>({ kind: 'Service', namespace: 'default', name: 'api' });
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', selector: { app: 'api' }, clusterIP: '10.43.0.2', ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] });
    const np = await drover(['expose', 'deployment/api', '--name', 'api-public', '--port', '80', '--target-port', '8080', '--type', 'NodePort', '--node-port', '30080']);
    expect(np.stdout).toBe('service/api-public exposed\n');
    const get = await drover(['get', 'services', '-o', 'wide']);
    const lines = get.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/);
    expect(lines.find((l) => l.startsWith('api-public'))).toMatch(/^api-public\s+NodePort\s+10\.43\.0\.3\s+<none>\s+80:30080\/TCP\s+\S+\s+app=api$/);
    expect((await drover(['get', 'svc', 'api'])).stdout).toMatch(/api\s+ClusterIP\s+10\.43\.0\.2\s+<none>\s+80\/TCP/);
  });

  it('refuses a taken nodePort with the API\'s reason, and a --node-port without NodePort', async () => {
    const taken = await drover(['expose', 'deployment', 'api', '--name', 'again', '--port', '81', '--type', 'NodePort', '--node-port', '30080']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('provided port is already allocated');
    const wrong = await drover(['expose', 'deployment', 'api', '--name', 'x', '--port', '81', '--node-port', '30081']);
    expect(wrong.stderr).toContain('--node-port needs --type NodePort or LoadBalancer');
  });

  it('get endpointslices and describe service show the endpoints', async () => {
    const svc = await store.get<any>({ kind: 'Service', namespace: 'default', name: 'api' });
    await store.create({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'api-abc',
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': 'api', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'api', uid: svc.metadata.uid, controller: true }],
      },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.42.1.5'], conditions: { ready: true } },
        { addresses: ['10.42.2.5'], conditions: { ready: true } },
        { addresses: ['10.42.2.6'], conditions: { ready: false } },
      ],
      ports: [{ name: '', port: 8080, protocol: 'TCP' }],
    } as any);
    const get = await drover(['get', 'endpointslices']);
    expect(get.stdout).toMatch(/NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE/);
    expect(get.stdout).toMatch(/api-abc\s+IPv4\s+8080\s+10\.42\.1\.5,10\.42\.2\.5\s+/);
    const describe = await drover(['describe', 'svc', 'api']);
    expect(describe.stdout).toMatch(/Selector:\s+app=api/);
    expect(describe.stdout).toMatch(/IP:\s+10\.43\.0\.2/);
    expect(describe.stdout).toMatch(/TargetPort:\s+8080\/TCP/);
    expect(describe.stdout).toMatch(/Endpoints:\s+10\.42\.1\.5:8080,10\.42\.2\.5:8080/);
    expect(describe.stdout).toMatch(/Session Affinity:\s+None/);
  });
});

/**
 * The small APIs kubectl and client-go reach for, against a real hub (in-process, HTTPS) with a real
 * agent (the built CLI, Docker, `--no-pod-network`) running a real container: `kubectl version`,
 * the node Leases (`get leases -n kube-node-lease`, `describe node`), `kubectl top nodes|pods
 * --containers` from metrics.k8s.io, and @kubernetes/client-node's watch with bookmarks, paged lists
 * and an Informer that re-lists after a 410 Expired watch.
 */
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDrover, waitFor, type Proc } from '../e2e/support.js';
import { SERVER_VERSION } from '../../hub/api/discovery.js';
import { startCompatHub, type CompatHub } from './support.js';

const NODE = `compat-top-${process.pid}`;
/** Revisions below this are compacted on the fresh hub (createHub's bumpRevision): a watch from one is 410. */
const BUMP = 200;

const memPod = `apiVersion: v1
kind: Pod
metadata: { name: mem }
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: drover.local/busybox:test
      imagePullPolicy: Never
      # 8 MB in the container's /dev/shm (tmpfs, charged to its memory cgroup as shmem), well above kubectl's 1Mi rounding
      command: ["sh", "-c", "head -c 8000000 /dev/zero > /dev/shm/fill; sleep 3600"]
`;

describe('small APIs: version, node Leases, metrics.k8s.io, watch semantics (real kubectl, client-node, agent)', () => {
  let h: CompatHub;
  let agent: Proc | undefined;
  let kc: k8s.KubeConfig;
  beforeAll(async () => {
    h = await startCompatHub('small-apis', { bumpRevision: BUMP });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(h.kubeconfig);
    const created = await execa('kubectl', ['--kubeconfig', h.kubeconfig, 'create', '--raw', '/apis/drover.io/v1/jointokens', '-f', '-'], { input: '{}', env: { HOME: h.dir } });
    const token = (JSON.parse(created.stdout) as { token: string }).token;
    agent = startDrover(
      ['agent', '--hub', h.hub.mqttUrl, '--name', NODE, '--runtime', 'docker', '--data-dir', join(h.dir, 'agent'), '--status-interval', '1', '--no-pod-network'],
      { DROVER_JOIN_TOKEN: token },
    );
    await waitFor('the node to be Ready', async () => {
      const r = await h.kubectl(['get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      if (agent!.child.exitCode !== null) throw new Error(`agent exited: ${agent!.output()}`);
      return r.stdout === 'True';
    });
  }, 120_000);
  afterAll(async () => {
    await h?.kubectl(['delete', 'pod', 'mem', '--grace-period=0', '--force']).catch(() => undefined);
    await agent?.stop();
    const left = await execa('docker', ['ps', '-aq', '--filter', `label=io.drover.node=${NODE}`], { reject: false });
    for (const id of left.stdout.split('\n').filter(Boolean)) await execa('docker', ['rm', '-f', id], { reject: false });
    await h?.close();
  }, 60_000);

  it('kubectl version prints the Kubernetes level the hub serves', async () => {
    const r = await h.kubectl(['version']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`Server Version: ${SERVER_VERSION.gitVersion}`);
    expect(SERVER_VERSION.gitVersion).toMatch(/^v1\.3[12]\.0-drover$/);
    expect(r.out).not.toMatch(/WARNING: version difference/);
  });

  it('kubectl get leases -n kube-node-lease lists the node, describe node shows its Lease and no error', async () => {
    const leases = await h.kubectl(['get', 'leases', '-n', 'kube-node-lease']);
    expect(leases.code, leases.out).toBe(0);
    expect(leases.stdout).toMatch(new RegExp(`^${NODE}\\s+${NODE}\\s+`, 'm'));
    const described = await h.kubectl(['describe', 'node', NODE]);
    expect(described.code, described.out).toBe(0);
    expect(described.stdout).toMatch(new RegExp(`Lease:\\s*\\n\\s+HolderIdentity:\\s+${NODE}\\n\\s+AcquireTime:\\s+<unset>\\n\\s+RenewTime:\\s+\\w{3}, \\d{2} \\w{3} \\d{4}`));
    expect(described.out).not.toMatch(/Failed to get lease|error/i);
    const api = await h.kubectl(['api-resources', '--api-group=coordination.k8s.io']);
    expect(api.stdout).toMatch(/^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease/m);
  });

  it('kubectl top nodes and top pods --containers print real numbers', async () => {
    const applied = await h.kubectl(['apply', '-f', '-'], memPod);
    expect(applied.code, applied.out).toBe(0);
    await waitFor('the pod to run', async () => (await h.kubectl(['get', 'pod', 'mem', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running');
    const nodes = await waitFor('node metrics', async () => {
      const r = await h.kubectl(['top', 'nodes']);
      return r.code === 0 && r.stdout.includes(NODE) ? r : undefined;
    });
    const nodeRow = nodes.stdout.split('\n').find((l) => l.startsWith(NODE))!.trim().split(/\s+/);
    expect(nodeRow[1]).toMatch(/^\d+m$/);
    expect(nodeRow[2]).toMatch(/^\d+%$/);
    expect(Number(nodeRow[3]!.replace(/Mi$/, ''))).toBeGreaterThan(0);
    const pods = await waitFor(
      'pod metrics',
      async () => {
        const r = await h.kubectl(['top', 'pods', '--containers']);
        // the first samples may predate the container filling its memory
        const mi = /^mem\s+main\s+\d+m\s+(\d+)Mi/m.exec(r.stdout)?.[1];
        return r.code === 0 && mi !== undefined && Number(mi) >= 5 ? r : undefined;
      },
      60_000,
    );
    const podRow = pods.stdout.split('\n').find((l) => l.startsWith('mem'))!.trim().split(/\s+/);
    expect(podRow[2]).toMatch(/^\d+m$/);
    const memoryMi = Number(podRow[3]!.replace(/Mi$/, ''));
    expect(memoryMi, pods.stdout).toBeGreaterThanOrEqual(5);
    const plain = await h.kubectl(['top', 'pods']);
    expect(plain.stdout).toMatch(/^mem\s+\d+m\s+\d+Mi/m);
  }, 120_000);

  it('client-node: a watch with allowWatchBookmarks gets a BOOKMARK; limit=2 pages with continue', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    for (const name of ['p1', 'p2', 'p3']) await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name }, data: { v: '1' } } });
    const first = await core.listNamespacedConfigMap({ namespace: 'default', limit: 2 });
    expect(first.items.map((c) => c.metadata?.name)).toEqual(['p1', 'p2']);
    expect(first.metadata?.remainingItemCount).toBe(1);
    const second = await core.listNamespacedConfigMap({ namespace: 'default', limit: 2, _continue: first.metadata!._continue! });
    expect(second.items.map((c) => c.metadata?.name)).toEqual(['p3']);
    expect(second.metadata?._continue).toBeUndefined();

    const seen: { type: string; rv: string | undefined }[] = [];
    const watch = new k8s.Watch(kc);
    const req = await watch.watch('/api/v1/namespaces/default/configmaps', { allowWatchBookmarks: true, resourceVersion: second.metadata!.resourceVersion }, (type: string, obj: k8s.V1ConfigMap) => {
      seen.push({ type, rv: obj.metadata?.resourceVersion });
    }, () => undefined);
    // bookmarks come every minute (kube-apiserver's interval); a change first, to see it is the current revision
    const made = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'p4' }, data: { v: '1' } } });
    await expect.poll(() => seen.find((e) => e.type === 'BOOKMARK'), { timeout: 75_000, interval: 500 }).toBeDefined();
    expect(seen[0]).toEqual({ type: 'ADDED', rv: made.metadata?.resourceVersion });
    expect(Number(seen.find((e) => e.type === 'BOOKMARK')!.rv)).toBeGreaterThanOrEqual(Number(made.metadata?.resourceVersion));
    req.abort();
  }, 90_000);

  it('client-node: a watch from an expired resourceVersion gets 410 Expired, and an Informer re-lists after it', async () => {
    const errors: { code?: number; reason?: string }[] = [];
    const watch = new k8s.Watch(kc);
    const req = await watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: '5' }, (type: string, obj: { code?: number; reason?: string }) => {
      if (type === 'ERROR') errors.push(obj);
    }, () => undefined);
    await expect.poll(() => errors[0], { timeout: 20_000 }).toMatchObject({ code: 410, reason: 'Expired' });
    req.abort();

    const core = kc.makeApiClient(k8s.CoreV1Api);
    let lists = 0;
    // the first list answers with a resourceVersion long compacted, as an informer's does after a long disconnect
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', async () => {
      lists++;
      const list = await core.listNamespacedConfigMap({ namespace: 'default' });
      if (lists === 1) list.metadata = { ...list.metadata, resourceVersion: '5' };
      return list;
    });
    await informer.start();
    await expect.poll(() => lists, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-relist' }, data: { v: '1' } } });
    await expect.poll(() => informer.list('default').map((o) => o.metadata?.name), { timeout: 20_000 }).toContain('after-relist');
    await informer.stop();

    const token = Buffer.from(JSON.stringify({ rv: 5, ns: 'default', name: 'p1' })).toString('base64url');
    const expired = await h.kubectl(['get', '--raw', `/api/v1/namespaces/default/configmaps?limit=1&continue=${token}`]);
    expect(expired.code).not.toBe(0);
    expect(expired.out).toMatch(/The provided continue parameter is too old to display a consistent list result/);
  }, 60_000);
});

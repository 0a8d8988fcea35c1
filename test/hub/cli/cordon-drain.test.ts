import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIO } from '../../../hub/cli/io.js';
import { runCli } from '../../../hub/cli/program.js';
import type { Watch } from '../../../hub/store/store.js';
import type { Node, Pod, PodPhase } from '../../../protocol/index.js';
import { putNode, startTestApi, type TestApi } from '../api/support.js';

describe('drover cordon, uncordon and drain against a real API server', () => {
  let api: TestApi;
  let env: NodeJS.ProcessEnv;
  const drover = async (args: string[]) => {
    const io = captureIO({ env });
    const code = await runCli(args, io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };
  const node = async (name: string) => (await api.store.get<Node>({ kind: 'Node', namespace: '', name }))!;
  const getPod = (name: string, namespace = 'default') => api.store.get<Pod>({ kind: 'Pod', namespace, name });

  async function putPod(name: string, nodeName: string, opts: { owner?: string; phase?: PodPhase; namespace?: string } = {}) {
    return api.store.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: opts.namespace ?? 'default',
        ...(opts.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: opts.owner, name: `${name}-owner`, uid: `uid-${name}-owner`, controller: true }] } : {}),
      },
      spec: { nodeName, containers: [{ name: 'main', image: 'drover.local/busybox:test' }] },
      status: { phase: opts.phase ?? 'Running' },
    });
  }

  /** Stands in for the agent and the fleet: a terminating pod is gone `delayMs` later. */
  function simulateAgent(delayMs: number): Watch {
    return api.store.watch({ kind: 'Pod' }, (event) => {
      const pod = event.object as Pod;
      if (event.type === 'DELETED' || !pod.metadata.deletionTimestamp) return;
      setTimeout(() => {
        api.store.delete({ kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name }).catch(() => undefined);
      }, delayMs);
    });
  }

  beforeAll(async () => {
    api = await startTestApi();
    env = { DROVER_SERVER: api.url, DROVER_TOKEN: api.tokens.admin, DROVER_CONFIG: join(api.dir, 'none.json') };
    for (const name of ['nf-cli-1', 'nf-cli-2', 'nf-cli-3', 'nf-cli-4', 'nf-cli-5', 'nf-cli-7']) await putNode(api.store, name, { conditions: [{ type: 'Ready', status: 'True' }] });
  });
  afterAll(async () => {
    await api.close();
  });

  it('cordon sets spec.unschedulable, uncordon removes it, each says so once', async () => {
    expect(await drover(['cordon', 'nf-cli-1'])).toEqual({ code: 0, stdout: 'node/nf-cli-1 cordoned\n', stderr: '' });
    expect((await node('nf-cli-1')).spec?.unschedulable).toBe(true);
    expect((await drover(['cordon', 'nf-cli-1'])).stdout).toBe('node/nf-cli-1 already cordoned\n');
    expect(await drover(['uncordon', 'nf-cli-1'])).toEqual({ code: 0, stdout: 'node/nf-cli-1 uncordoned\n', stderr: '' });
    expect((await node('nf-cli-1')).spec?.unschedulable).toBeUndefined();
    expect((await drover(['uncordon', 'nf-cli-1'])).stdout).toBe('node/nf-cli-1 already uncordoned\n');
  });

  it('cordon keeps the taints already on the node (merge patch)', async () => {
    const n = await node('nf-cli-5');
    await api.store.update<Node>({ ...n, spec: { taints: [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }] } });
    expect((await drover(['cordon', 'nf-cli-5'])).code).toBe(0);
    expect((await node('nf-cli-5')).spec).toEqual({ unschedulable: true, taints: [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }] });
  });

  it('cordon of an unknown node fails with the hub\'s message', async () => {
    const r = await drover(['cordon', 'nf-nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*nf-nope.*not found/);
  });

  it('drain refuses DaemonSet pods without --ignore-daemonsets and bare pods without --force, and evicts nothing', async () => {
    await putPod('ds-pod', 'nf-cli-2', { owner: 'DaemonSet' });
    await putPod('bare-pod', 'nf-cli-2');
    await putPod('rs-pod', 'nf-cli-2', { owner: 'ReplicaSet' });
    const r = await drover(['drain', 'nf-cli-2']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('node/nf-cli-2 cordoned\n');
    expect(r.stderr).toContain('cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/ds-pod');
    expect(r.stderr).toContain('cannot delete Pods declare no controller (use --force to override): default/bare-pod');
    expect((await node('nf-cli-2')).spec?.unschedulable).toBe(true);
    for (const name of ['ds-pod', 'bare-pod', 'rs-pod']) expect((await getPod(name))?.metadata.deletionTimestamp).toBeUndefined();
  });

  it('drain with --ignore-daemonsets --force evicts the rest, waits for each, and leaves the DaemonSet pod', async () => {
    await putPod('ds-2', 'nf-cli-3', { owner: 'DaemonSet' });
    await putPod('bare-2', 'nf-cli-3', { namespace: 'kube-system' });
    await putPod('rs-2', 'nf-cli-3', { owner: 'ReplicaSet' });
    await putPod('done-2', 'nf-cli-3', { phase: 'Succeeded' });
    await putPod('elsewhere', 'nf-cli-4', { owner: 'ReplicaSet' });
    const agent = simulateAgent(300);
    try {
      const r = await drover(['drain', 'nf-cli-3', '--ignore-daemonsets', '--force']);
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toBe('node/nf-cli-3 cordoned');
      expect(lines.filter((l) => l.startsWith('evicting pod')).sort()).toEqual(['evicting pod default/done-2', 'evicting pod default/rs-2', 'evicting pod kube-system/bare-2']);
      expect(lines.filter((l) => l.endsWith(' evicted')).sort()).toEqual(['pod/bare-2 evicted', 'pod/done-2 evicted', 'pod/rs-2 evicted']);
      // every eviction is announced before the first pod is reported gone
      expect(lines.findIndex((l) => l.endsWith(' evicted'))).toBeGreaterThan(Math.max(...lines.map((l, i) => (l.startsWith('evicting') ? i : -1))));
      expect(lines.at(-1)).toBe('node/nf-cli-3 drained');
      expect(r.stderr).toContain('Warning: ignoring DaemonSet-managed Pods: default/ds-2');
      expect(r.stderr).toContain('Warning: deleting Pods that declare no controller: kube-system/bare-2');
      expect(await getPod('ds-2')).toBeDefined();
      expect(await getPod('rs-2')).toBeUndefined();
      expect((await getPod('elsewhere'))?.metadata.deletionTimestamp).toBeUndefined();
    } finally {
      agent.close();
    }
  });

  it('drain gives up at --timeout while pods are still terminating, with a non-zero exit', async () => {
    await putPod('stuck', 'nf-cli-4', { owner: 'ReplicaSet' });
    const r = await drover(['drain', 'nf-cli-4', '--timeout', '1s', '--grace-period', '20']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('evicting pod default/stuck\n');
    expect(r.stdout).not.toContain('drained');
    expect(r.stderr).toMatch(/error: drain of node "nf-cli-4" timed out after 1s; pods still terminating: default\/(elsewhere, default\/stuck|stuck, default\/elsewhere)/);
    expect((await getPod('stuck'))?.metadata.deletionGracePeriodSeconds).toBe(20);
  });

  it('drain evicts through the Eviction API: a PodDisruptionBudget holds a pod back, retried every 5 s until the budget allows it', async () => {
    const readyPod = (name: string, nodeName: string) =>
      api.store.create<Pod>({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', labels: { app: 'budgeted' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'budgeted', uid: 'uid-budgeted', controller: true }] },
        spec: { nodeName, containers: [{ name: 'main', image: 'drover.local/busybox:test' }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      });
    await readyPod('budget-a', 'nf-cli-5');
    await readyPod('budget-b', 'nf-cli-5');
    await readyPod('budget-c', 'nf-cli-6');
    await api.store.create({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'budgeted', namespace: 'default' },
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'budgeted' } } },
    });
    const agent = simulateAgent(200);
    try {
      // 3 healthy, at least 2: one may go; once it has, the other is refused until a replacement is Ready
      const run = drover(['drain', 'nf-cli-5', '--timeout', '60s']);
      await expect.poll(async () => (await getPod('budget-a')) === undefined || (await getPod('budget-b')) === undefined, { timeout: 20_000 }).toBe(true);
      await new Promise((r) => setTimeout(r, 1000));
      expect([await getPod('budget-a'), await getPod('budget-b')].filter(Boolean)).toHaveLength(1);
      await readyPod('budget-d', 'nf-cli-6');
      const r = await run;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/error when evicting pods\/"budget-[ab]" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
      expect(r.stdout).toContain('node/nf-cli-5 drained');
      expect(await getPod('budget-a')).toBeUndefined();
      expect(await getPod('budget-b')).toBeUndefined();
    } finally {
      agent.close();
    }
    // a budget that never allows it: --timeout names the refused pod; --disable-eviction deletes past the budget
    await readyPod('budget-e', 'nf-cli-7');
    await api.store.delete({ kind: 'PodDisruptionBudget', namespace: 'default', name: 'budgeted' });
    await api.store.create({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'strict', namespace: 'default' },
      spec: { maxUnavailable: 0, selector: { matchLabels: { app: 'budgeted' } } },
    });
    const blocked = await drover(['drain', 'nf-cli-7', '--timeout', '1s']);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('evictions refused by a PodDisruptionBudget: default/budget-e');
    expect((await getPod('budget-e'))?.metadata.deletionTimestamp).toBeUndefined();
    const forced = await drover(['drain', 'nf-cli-7', '--disable-eviction', '--timeout', '1s', '--grace-period', '30']);
    expect(forced.stdout).toContain('evicting pod default/budget-e');
    expect((await getPod('budget-e'))?.metadata.deletionTimestamp).toBeDefined();
  }, 60_000);

  it('drain rejects a bad --grace-period', async () => {
    const r = await drover(['drain', 'nf-cli-1', '--grace-period', 'soon']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--grace-period takes whole seconds');
  });
});

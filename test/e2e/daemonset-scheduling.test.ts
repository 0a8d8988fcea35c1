/**
 * DaemonSets and unschedulable pods end to end with real processes: a `drover hub`, an agent on
 * containerd, a DaemonSet with one pod on it; then a second agent on Docker joins with its own token
 * and the DaemonSet covers it too (pod bound to it, Running in Docker, status 2/2). With the two
 * nodes, a pod that fits nowhere stays Pending and `drover describe pod` says why in Kubernetes'
 * words (`0/2 nodes are available: ...`, counts per reason); fixing the cause (uncordon) gets it
 * scheduled, while a pod asking for more memory than any node has stays Pending with the new counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runtimeContainers, startAgent, startHub, waitFor, type Proc, type TestHub } from './support.js';

const FIRST = { runtime: 'containerd' as const, node: 'ds-ctr' };
const LATER = { runtime: 'docker' as const, node: 'ds-docker' };
const DS = 'ds-agentd';
const PENDING = 'ds-pending';
const HUGE = 'ds-huge';

const DAEMONSET = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${DS}
spec:
  selector:
    matchLabels:
      app: ${DS}
  template:
    metadata:
      labels:
        app: ${DS}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: agentd
        image: registry.local/nginx:1.26
        imagePullPolicy: Never
        command: ["sleep", "3600"]
`;

// wants the Docker node by name; that node is cordoned, the other does not match
const PENDING_POD = `apiVersion: v1
kind: Pod
metadata:
  name: ${PENDING}
spec:
  nodeSelector:
    kubernetes.io/hostname: ${LATER.node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: registry.local/nginx:1.26
    imagePullPolicy: Never
    command: ["sleep", "3600"]
`;

const HUGE_POD = `apiVersion: v1
kind: Pod
metadata:
  name: ${HUGE}
spec:
  containers:
  - name: main
    image: registry.local/nginx:1.26
    imagePullPolicy: Never
    command: ["sleep", "3600"]
    resources:
      requests:
        memory: 64Ti
`;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface PodJson {
  metadata: { name: string; ownerReferences?: { kind: string; name: string }[] };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: Condition[] };
}
interface DaemonSetJson {
  status?: { desiredNumberScheduled?: number; currentNumberScheduled?: number; numberReady?: number; numberAvailable?: number; updatedNumberScheduled?: number };
}
interface NodeListJson {
  items: { metadata: { name: string }; status?: { conditions?: Condition[] } }[];
}

describe('DaemonSets and scheduling failures (real hub, containerd and Docker agents)', () => {
  let hub: TestHub;
  const agents: Proc[] = [];

  const readyNodes = async () =>
    (await hub.json<NodeListJson>(['get', 'nodes'])).items
      .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((n) => n.metadata.name);
  const daemonPods = async () => (await hub.json<{ items: PodJson[] }>(['get', 'pods', '-l', `app=${DS}`])).items;
  const isRunningReady = (p: PodJson) => p.status?.phase === 'Running' && (p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);

  async function join(runtime: 'docker' | 'containerd', node: string): Promise<void> {
    const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
    agents.push(await startAgent(hub, node, runtime, token.trim()));
  }

  beforeAll(async () => {
    hub = await startHub();
    await join(FIRST.runtime, FIRST.node);
    await waitFor(`${FIRST.node} Ready`, async () => (await readyNodes()).includes(FIRST.node), 180_000);
  }, 240_000);

  afterAll(async () => {
    if (hub) {
      for (const args of [['daemonset', DS], ['pod', PENDING], ['pod', HUGE]]) await hub.cli(['delete', ...args, '--timeout', '60s'], { reject: false });
      await waitFor('the test pods gone', async () => (await hub.cli(['get', 'pods', '-o', 'name'])).stdout.trim() === '', 90_000).catch(() => undefined);
    }
    for (const a of agents) await a.stop();
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
  }, 180_000);

  it('a DaemonSet runs one pod on the node there is, and covers a node that joins later', async () => {
    await hub.cli(['apply', '-f', '-'], { input: DAEMONSET });
    const first = await waitFor('one daemon pod Running', async () => {
      const pods = await daemonPods();
      return pods.length === 1 && isRunningReady(pods[0]!) ? pods[0]! : undefined;
    }, 180_000);
    expect(first.spec.nodeName).toBe(FIRST.node);
    expect(first.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', name: DS });
    expect(await runtimeContainers(FIRST.runtime, first.metadata.name)).toHaveLength(1);
    await waitFor('status 1/1', async () => {
      const s = (await hub.json<DaemonSetJson>(['get', 'daemonset', DS])).status;
      return s?.desiredNumberScheduled === 1 && s.numberReady === 1;
    }, 60_000);

    await join(LATER.runtime, LATER.node);
    const second = await waitFor(`a daemon pod Running on ${LATER.node}`, async () => {
      const pod = (await daemonPods()).find((p) => p.spec.nodeName === LATER.node);
      return pod && isRunningReady(pod) ? pod : undefined;
    }, 240_000);
    expect(second.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', name: DS });
    expect(await runtimeContainers(LATER.runtime, second.metadata.name)).toHaveLength(1);
    const status = await waitFor('status 2/2', async () => {
      const s = (await hub.json<DaemonSetJson>(['get', 'daemonset', DS])).status;
      return s?.desiredNumberScheduled === 2 && s.numberReady === 2 ? s : undefined;
    }, 60_000);
    expect(status).toMatchObject({ currentNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2 });
    // still exactly one pod per node, and the first one untouched
    const pods = await daemonPods();
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual([FIRST.node, LATER.node].sort());
    expect(pods.map((p) => p.metadata.name)).toContain(first.metadata.name);
    expect((await hub.cli(['rollout', 'status', `daemonset/${DS}`, '--timeout', '60s'])).exitCode).toBe(0);
  }, 600_000);

  it('an unschedulable pod says why in describe and stays Pending; fixing the cause gets it scheduled', async () => {
    await waitFor('both nodes Ready', async () => (await readyNodes()).length === 2, 120_000);
    expect((await hub.cli(['cordon', LATER.node])).stdout.trim()).toBe(`node/${LATER.node} cordoned`);
    await hub.cli(['apply', '-f', '-'], { input: PENDING_POD });
    await hub.cli(['apply', '-f', '-'], { input: HUGE_POD });

    const selectorAndCordon = "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) were unschedulable.";
    const memoryAndCordon = '0/2 nodes are available: 1 Insufficient memory, 1 node(s) were unschedulable.';
    for (const [pod, message] of [[PENDING, selectorAndCordon], [HUGE, memoryAndCordon]] as const) {
      const described = await waitFor(`FailedScheduling for ${pod}`, async () => {
        const out = (await hub.cli(['describe', 'pod', pod])).stdout;
        return out.includes(message) ? out : undefined;
      }, 120_000);
      expect(described).toMatch(new RegExp(`Warning\\s+FailedScheduling\\s+.*default-scheduler\\s+${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(described).toMatch(/Status:\s+Pending/);
      const p = await hub.json<PodJson>(['get', 'pod', pod]);
      expect(p.spec.nodeName).toBeUndefined();
      expect(p.status?.phase).toBe('Pending');
      expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable', message });
    }
    // the back-off queue keeps trying, and the pod stays Pending meanwhile
    await waitFor(`${PENDING} retried`, async () => /FailedScheduling\s+\S+ \(x[2-9]\d*\)/.test((await hub.cli(['describe', 'pod', PENDING])).stdout), 90_000);
    expect((await hub.json<PodJson>(['get', 'pod', PENDING])).spec.nodeName).toBeUndefined();

    expect((await hub.cli(['uncordon', LATER.node])).stdout.trim()).toBe(`node/${LATER.node} uncordoned`);
    const scheduled = await waitFor(`${PENDING} Running on ${LATER.node}`, async () => {
      const p = await hub.json<PodJson>(['get', 'pod', PENDING]);
      return isRunningReady(p) ? p : undefined;
    }, 180_000);
    expect(scheduled.spec.nodeName).toBe(LATER.node);
    expect(await runtimeContainers(LATER.runtime, PENDING)).toHaveLength(1);
    expect((await hub.cli(['describe', 'pod', PENDING])).stdout).toMatch(new RegExp(`Normal\\s+Scheduled\\s+.*Successfully assigned default/${PENDING} to ${LATER.node}`));

    // the memory hog fits on neither node, now for the same reason on both
    const bothMemory = await waitFor(`${HUGE} unschedulable on both nodes`, async () => {
      const p = await hub.json<PodJson>(['get', 'pod', HUGE]);
      const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.message === '0/2 nodes are available: 2 Insufficient memory.' ? p : undefined;
    }, 120_000);
    expect(bothMemory.spec.nodeName).toBeUndefined();
    expect((await hub.cli(['describe', 'pod', HUGE])).stdout).toContain('FailedScheduling');
    const pods = (await hub.cli(['get', 'pods', HUGE])).stdout;
    expect(pods).toMatch(new RegExp(`${HUGE}\\s+0/1\\s+Pending`));
  }, 600_000);
});

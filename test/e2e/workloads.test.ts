/**
 * Workloads end to end with real processes: a `drover hub`, two `drover agent`s (containerd and
 * Docker), the Kubernetes docs' nginx Deployment (image and command changed to what runs here) reaching
 * 3/3 available spread over both nodes, then `drover delete deployment` removing its ReplicaSet and every
 * pod from both runtimes (garbage collection, graceful pod deletion).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runtimeContainers, startAgent, startHub, waitFor, type Proc, type TestHub } from './support.js';

const NODES = [
  { runtime: 'containerd' as const, node: 'wl-e2e-ctr' },
  { runtime: 'docker' as const, node: 'wl-e2e-docker' },
];

// containerd pods share the host network, so the pods listen on no port: `sleep` is enough here.
const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: wl-nginx-deployment
  labels:
    app: wl-nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: wl-nginx
  template:
    metadata:
      labels:
        app: wl-nginx
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: nginx
        image: registry.local/nginx:1.26
        imagePullPolicy: Never
        command: ["sleep", "3600"]
        resources:
          requests:
            cpu: 10m
            memory: 8Mi
`;

interface PodJson {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] };
  spec: { nodeName?: string };
  status?: { phase?: string };
}
interface DeploymentJson {
  metadata: { annotations?: Record<string, string> };
  status?: { replicas?: number; availableReplicas?: number; updatedReplicas?: number; conditions?: { type: string; status: string; reason?: string }[] };
}

describe('workloads (real hub, containerd and Docker agents)', () => {
  let hub: TestHub;
  const agents: Proc[] = [];

  beforeAll(async () => {
    hub = await startHub();
    for (const { runtime, node } of NODES) {
      const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
      agents.push(await startAgent(hub, node, runtime, token.trim()));
    }
    await waitFor('both nodes Ready', async () => {
      const list = await hub.json<{ items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'nodes']);
      const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 2;
    }, 180_000);
  }, 240_000);

  afterAll(async () => {
    for (const a of agents) await a.stop();
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
  });

  it('a Deployment reaches 3/3 available over both nodes, and deleting it removes every pod from both runtimes', async () => {
    await hub.cli(['apply', '-f', '-'], { input: MANIFEST });
    const deployment = await waitFor(
      '3/3 available',
      async () => {
        const d = await hub.json<DeploymentJson>(['get', 'deployment', 'wl-nginx-deployment']);
        return d.status?.availableReplicas === 3 && d.status.updatedReplicas === 3 ? d : undefined;
      },
      240_000,
    );
    expect(deployment.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(deployment.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });

    const pods = (await hub.json<{ items: PodJson[] }>(['get', 'pods', '-l', 'app=wl-nginx'])).items;
    expect(pods).toHaveLength(3);
    const hash = pods[0]!.metadata.labels?.['pod-template-hash'];
    expect(hash).toMatch(/^[a-z0-9]{8,10}$/);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^wl-nginx-deployment-${hash}-[a-z0-9]{5}$`));
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: `wl-nginx-deployment-${hash}` });
      expect(p.status?.phase).toBe('Running');
    }
    const byNode = new Map<string, string[]>();
    for (const p of pods) byNode.set(p.spec.nodeName!, [...(byNode.get(p.spec.nodeName!) ?? []), p.metadata.name]);
    expect([...byNode.keys()].sort()).toEqual(['wl-e2e-ctr', 'wl-e2e-docker']);
    for (const { runtime, node } of NODES) {
      for (const name of byNode.get(node)!) expect((await runtimeContainers(runtime, name)).length).toBeGreaterThan(0);
    }
    const { stdout: rsList } = await hub.cli(['get', 'replicasets']);
    expect(rsList).toContain(`wl-nginx-deployment-${hash}`);

    await hub.cli(['delete', 'deployment', 'wl-nginx-deployment']);
    await waitFor(
      'pods and replica set gone',
      async () => {
        const left = (await hub.json<{ items: PodJson[] }>(['get', 'pods', '-l', 'app=wl-nginx'])).items;
        const sets = (await hub.json<{ items: unknown[] }>(['get', 'replicasets'])).items;
        return left.length === 0 && sets.length === 0;
      },
      180_000,
    );
    await waitFor(
      'containers gone from both runtimes',
      async () => {
        for (const { runtime, node } of NODES) {
          for (const name of byNode.get(node)!) if ((await runtimeContainers(runtime, name)).length > 0) return false;
        }
        return true;
      },
      120_000,
    );
  }, 600_000);
});

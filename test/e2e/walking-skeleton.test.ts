/**
 * The walking skeleton, end to end with real processes: a `drover hub`, two `drover agent`s (one on
 * containerd, one on Docker) joined with tokens, a Pod with a hostPort applied through the CLI on each,
 * answering over HTTP, reported Running, and gone from the runtime after `drover delete`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runtimeContainers, startAgent, startHub, waitFor, TEST_IMAGE, type Proc, type TestHub } from './support.js';

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: { phase?: string; hostIP?: string; containerStatuses?: { ready: boolean; restartCount: number }[] };
}
interface NodeJson {
  metadata: { name: string; labels?: Record<string, string> };
  status?: {
    conditions?: { type: string; status: string }[];
    capacity?: Record<string, string>;
    nodeInfo?: { architecture?: string; containerRuntimeVersion?: string; osImage?: string };
  };
}

const RUNTIMES = [
  { runtime: 'containerd' as const, node: 'e2e-ctr', port: 18181 },
  { runtime: 'docker' as const, node: 'e2e-docker', port: 18182 },
];

function podManifest(name: string, node: string, hostPort: number): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
    app: web
spec:
  nodeSelector:
    kubernetes.io/hostname: ${node}
  terminationGracePeriodSeconds: 2
  containers:
    - name: web
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", "mkdir -p /www && echo hello-from-${name} > /www/index.html && exec httpd -f -p ${hostPort} -h /www"]
      ports:
        - containerPort: ${hostPort}
          hostPort: ${hostPort}
      resources:
        requests:
          cpu: 50m
          memory: 16Mi
`;
}

const isReady = (n: NodeJson) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe('walking skeleton (real hub, agents, containerd and Docker)', () => {
  let hub: TestHub;
  const agents: Proc[] = [];

  beforeAll(async () => {
    hub = await startHub();
    for (const { runtime, node } of RUNTIMES) {
      const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
      expect(token.trim()).toMatch(/^K10[0-9a-f]{64}::drover-join\./);
      agents.push(await startAgent(hub, node, runtime, token.trim()));
    }
  });

  afterAll(async () => {
    for (const a of agents) await a.stop();
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
  });

  it('both nodes join and report Ready with their real facts', async () => {
    const nodes = await waitFor(
      'both nodes Ready',
      async () => {
        const list = await hub.json<{ items: NodeJson[] }>(['get', 'nodes']);
        const ready = list.items.filter(isReady);
        return ready.length === RUNTIMES.length ? list.items : undefined;
      },
      60_000,
    );
    for (const { runtime, node } of RUNTIMES) {
      const n = nodes.find((x) => x.metadata.name === node)!;
      expect(Number(n.status?.capacity?.cpu)).toBeGreaterThan(0);
      expect(n.status?.capacity?.memory).toMatch(/^\d+Ki$/);
      expect(n.status?.nodeInfo?.architecture).toBe(process.arch === 'x64' ? 'amd64' : process.arch);
      expect(n.status?.nodeInfo?.containerRuntimeVersion).toMatch(new RegExp(`^${runtime}://`));
      expect(n.metadata.labels?.['kubernetes.io/hostname']).toBe(node);
    }
    const table = await hub.cli(['get', 'nodes']);
    expect(table.stdout).toMatch(/NAME\s+STATUS/);
    expect(table.stdout).toMatch(/e2e-ctr\s+Ready/);
  });

  for (const { runtime, node, port } of RUNTIMES) {
    it(`runs a pod with a hostPort on ${runtime}, then deletes it from the runtime`, async () => {
      const name = `web-${runtime}`;
      const applied = await hub.cli(['apply', '-f', '-'], { input: podManifest(name, node, port) });
      expect(applied.stdout).toContain(`pod/${name} created`);

      const pod = await waitFor(`${name} Running`, async () => {
        const p = await hub.json<PodJson>(['get', 'pod', name]);
        return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready ? p : undefined;
      });
      expect(pod.spec.nodeName).toBe(node);

      const body = await waitFor(`${name} to answer on ${port}`, async () => {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        return res.ok ? res.text() : undefined;
      }, 30_000);
      expect(body.trim()).toBe(`hello-from-${name}`);

      const wide = await hub.cli(['get', 'pods', '-o', 'wide']);
      expect(wide.stdout).toMatch(new RegExp(`${name}\\s+1/1\\s+Running`));
      expect(wide.stdout).toContain(node);

      expect((await runtimeContainers(runtime, name)).length).toBe(1);
      const deleted = await hub.cli(['delete', 'pod', name]);
      expect(deleted.stdout).toContain(`pod "${name}" deleted`);
      // delete waits until the object is gone, which happens once the agent removed the container
      const gone = await hub.cli(['get', 'pod', name], { reject: false });
      expect(gone.exitCode).not.toBe(0);
      expect(gone.stderr).toMatch(/not found/);
      expect(await runtimeContainers(runtime, name)).toEqual([]);
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    });
  }

  it('a malformed manifest is refused with the field named and nothing is stored', async () => {
    const bad = podManifest('bad', 'e2e-ctr', 18199).replace('image:', 'imagee:');
    const r = await hub.cli(['apply', '-f', '-'], { input: bad, reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('spec.containers[0].imagee: unknown field');
    const list = await hub.json<{ items: PodJson[] }>(['get', 'pods']);
    expect(list.items.map((p) => p.metadata.name)).not.toContain('bad');
  });
});

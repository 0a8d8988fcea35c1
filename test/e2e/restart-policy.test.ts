/**
 * restartPolicy honoured by the agent on both real runtimes: a Never pod whose container exits 0 is
 * Succeeded, one that exits non-zero Failed, neither restarted; an OnFailure pod is restarted after a
 * non-zero exit only; the exit code and reason (Completed / Error) are in
 * containerStatuses[].state.terminated (or lastState after a restart).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, removeNodeContainers, startAgent, startHub, TEST_IMAGE, waitFor, type Proc, type TestHub } from './support.js';

const NODES = [
  { runtime: 'containerd' as const, node: 'jobs-rp-ctr' },
  { runtime: 'docker' as const, node: 'jobs-rp-docker' },
];

interface Terminated { exitCode: number; reason?: string }
interface PodJson {
  status?: { phase?: string; containerStatuses?: { restartCount: number; state?: { terminated?: Terminated }; lastState?: { terminated?: Terminated } }[] };
}

function pod(name: string, node: string, restartPolicy: string, code: number): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeName: ${node}
  restartPolicy: ${restartPolicy}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${TEST_IMAGE}
    imagePullPolicy: Never
    command: ["sh", "-c", "exit ${code}"]
`;
}

describe('restartPolicy on containerd and Docker (real hub and agents)', () => {
  let hub: TestHub;
  const agents: Proc[] = [];

  beforeAll(async () => {
    hub = await startHub();
    for (const { runtime, node } of NODES) {
      const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
      agents.push(await startAgent(hub, node, runtime, token.trim()));
    }
    await waitFor('both nodes Ready', async () => {
      const list = await hub.json<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'nodes']);
      return list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2;
    }, 180_000);
  }, 240_000);

  afterAll(async () => {
    for (const a of agents) await a.stop();
    await hub?.stop();
    await removeNodeContainers(NODES.map((n) => n.node));
    if (hub) await cleanup(hub.dir);
  });

  for (const { runtime, node } of NODES) {
    it(`${runtime}: Never exit 0 Succeeded, Never exit 3 Failed, OnFailure exit 3 restarted, OnFailure exit 0 Succeeded`, async () => {
      const p = runtime === 'docker' ? 'd' : 'c';
      const cases = [
        { name: `jobs-rp-${p}-never-ok`, policy: 'Never', code: 0 },
        { name: `jobs-rp-${p}-never-bad`, policy: 'Never', code: 3 },
        { name: `jobs-rp-${p}-onf-bad`, policy: 'OnFailure', code: 3 },
        { name: `jobs-rp-${p}-onf-ok`, policy: 'OnFailure', code: 0 },
      ];
      for (const c of cases) await hub.cli(['apply', '-f', '-'], { input: pod(c.name, node, c.policy, c.code) });
      const get = (name: string) => hub.json<PodJson>(['get', 'pod', name]);

      const ok = await waitFor('Never exit 0 Succeeded', async () => ((await get(cases[0]!.name)).status?.phase === 'Succeeded' ? get(cases[0]!.name) : undefined), 120_000, 500);
      expect(ok.status?.containerStatuses?.[0]).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
      const bad = await waitFor('Never exit 3 Failed', async () => ((await get(cases[1]!.name)).status?.phase === 'Failed' ? get(cases[1]!.name) : undefined), 120_000, 500);
      expect(bad.status?.containerStatuses?.[0]).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 3, reason: 'Error' } } });
      const restarted = await waitFor('OnFailure exit 3 restarted', async () => {
        const s = (await get(cases[2]!.name)).status;
        return (s?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? s : undefined;
      }, 120_000, 500);
      expect(restarted.phase).not.toBe('Failed');
      expect(restarted.phase).not.toBe('Succeeded');
      expect(restarted.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
      const onfOk = await waitFor('OnFailure exit 0 Succeeded', async () => ((await get(cases[3]!.name)).status?.phase === 'Succeeded' ? get(cases[3]!.name) : undefined), 120_000, 500);
      expect(onfOk.status?.containerStatuses?.[0]?.restartCount).toBe(0);
      // still not restarted a while later
      await new Promise((r) => setTimeout(r, 3000));
      expect((await get(cases[1]!.name)).status?.containerStatuses?.[0]?.restartCount).toBe(0);
      expect((await get(cases[0]!.name)).status?.phase).toBe('Succeeded');
    }, 240_000);
  }
});

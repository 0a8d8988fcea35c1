/**
 * A real agent (the built dist/, its own process group) joined to a compat hub, running pods on
 * containerd (or Docker, when asked) without the pod network (test/e2e/support.ts startDrover), and a pod on it.
 */
import { join } from 'node:path';
import { startDrover, waitFor, type Proc } from '../e2e/support.js';
import type { CompatHub } from './support.js';

export async function startCompatAgent(h: CompatHub, name: string, runtime: 'containerd' | 'docker' = 'containerd'): Promise<Proc> {
  const r = await h.kubectl(['create', '--raw', '/apis/drover.io/v1/jointokens', '-f', '-'], JSON.stringify({ ttlSeconds: 600 }));
  if (r.code !== 0) throw new Error(`could not create a join token: ${r.out}`);
  const token = (JSON.parse(r.stdout) as { token: string }).token;
  const agent = startDrover(
    ['agent', '--hub', h.hub.mqttUrl, '--name', name, '--runtime', runtime, '--data-dir', join(h.dir, `agent-${name}`), '--status-interval', '2', '--no-pod-network'],
    { DROVER_JOIN_TOKEN: token },
  );
  await waitFor(`node ${name} Ready`, async () => {
    if (agent.child.exitCode !== null) throw new Error(`agent exited: ${agent.output()}`);
    const s = await h.kubectl(['get', 'node', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    return s.stdout === 'True';
  });
  return agent;
}

/** Apply a pod and wait until its phase is `phase` (default Running). */
export async function applyPod(h: CompatHub, manifest: string, name: string, phase = 'Running'): Promise<void> {
  const r = await h.kubectl(['apply', '--validate=false', '-f', '-'], manifest);
  if (r.code !== 0) throw new Error(`apply failed: ${r.out}`);
  await waitFor(`pod ${name} ${phase}`, async () => (await h.kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])).stdout === phase, 90_000);
}

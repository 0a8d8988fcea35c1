/**
 * Local persistent volumes end to end, with a real `drover hub` and two agents (containerd and Docker):
 * a claim in the default `local-path` class (WaitForFirstConsumer) is bound when its first pod is
 * placed, to a directory under that node's agent data dir; the pod writes into it; a new pod using the
 * claim (no node named) goes to the same node and reads the data; the data survives an agent restart;
 * with the claim's node down a new pod stays Pending with the volume node affinity conflict named
 * (not moved without its data), and runs there once the node is back; deleting the claim (once no pod
 * uses it: pvc-protection) releases the volume and, with the Delete policy, the agent removes the
 * directory and the volume goes. `get/describe pvc|pv|storageclass` print kubectl's columns.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, removeNodeContainers, startAgent, startDrover, startHub, waitFor, TEST_IMAGE, type Proc, type TestHub } from './support.js';

type Runtime = 'docker' | 'containerd';
interface PodJson {
  metadata: { name: string; uid: string };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}
interface ClaimJson {
  metadata: { name: string; annotations?: Record<string, string>; finalizers?: string[] };
  spec: { volumeName?: string; storageClassName?: string };
  status?: { phase?: string; capacity?: { storage?: string } };
}
interface VolumeJson {
  metadata: { name: string };
  spec: { local?: { path: string }; persistentVolumeReclaimPolicy?: string; nodeAffinity?: { required?: { nodeSelectorTerms: { matchExpressions?: { values?: string[] }[] }[] } } };
  status?: { phase?: string };
}
interface EventJson {
  involvedObject: { kind: string; name: string };
  reason: string;
  message: string;
}

const NODES: { node: string; runtime: Runtime }[] = [
  { node: 'vol-ctr', runtime: 'containerd' },
  { node: 'vol-docker', runtime: 'docker' },
];
const CLAIM = 'vol-data';

const CLAIM_MANIFEST = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${CLAIM}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 64Mi
`;

/** A pod mounting the claim at /data and running `script`; `node` pins it with a nodeSelector. */
function podManifest(name: string, script: string, node?: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
${node ? `  nodeSelector:\n    kubernetes.io/hostname: ${node}\n` : ''}  containers:
    - name: main
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", ${JSON.stringify(script)}]
      volumeMounts:
        - name: data
          mountPath: /data
  volumes:
    - name: data
      persistentVolumeClaim:
        claimName: ${CLAIM}
`;
}

const exists = (path: string) => access(path).then(() => true, () => false);

describe('local persistent volumes (real hub, agents, containerd and Docker)', () => {
  let hub: TestHub;
  const agents = new Map<string, Proc>();
  const step = (what: string) => console.log(`[volumes] ${what}`);
  const pod = (name: string) => hub.json<PodJson>(['get', 'pod', name]);
  const claim = () => hub.json<ClaimJson>(['get', 'pvc', CLAIM]);
  const events = async () => (await hub.json<{ items: EventJson[] }>(['get', 'events', '-n', 'default'])).items;
  const running = (name: string) =>
    waitFor(`pod ${name} running`, async () => {
      const p = await pod(name).catch(() => undefined);
      return p?.status?.phase === 'Running' ? p : undefined;
    }, 120_000);
  const deletePod = (name: string, force = false) => hub.cli(['delete', 'pod', name, ...(force ? ['--force', '--grace-period=0'] : []), '--timeout', '90s']);
  const runtimeOf = (node: string): Runtime => NODES.find((n) => n.node === node)!.runtime;
  const agentStart = (node: string) =>
    startDrover(['agent', '--hub', hub.mqttUrl, '--name', node, '--runtime', runtimeOf(node), '--data-dir', join(hub.dir, `agent-${node}`), '--status-interval', '2', '--no-pod-network'], hub.env);
  const isReady = (n: { status?: { conditions?: { type: string; status: string }[] } }) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const nodeReady = (node: string, ready: boolean) =>
    waitFor(`node ${node} ${ready ? 'Ready' : 'not Ready'}`, async () => (isReady(await hub.json(['get', 'node', node])) === ready ? true : undefined), 60_000);

  let volumeNode = '';
  let volumeDir = '';
  let volumeName = '';

  beforeAll(async () => {
    hub = await startHub(['--node-monitor-grace', '20s']);
    for (const { node, runtime } of NODES) {
      const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
      agents.set(node, await startAgent(hub, node, runtime, token.trim()));
    }
    for (const { node } of NODES) await nodeReady(node, true);
  }, 120_000);

  afterAll(async () => {
    for (const a of agents.values()) await a.stop();
    await hub?.stop();
    await removeNodeContainers(NODES.map((n) => n.node));
    if (hub) await cleanup(hub.dir);
  });

  it('binds the claim on its first pod\'s node, and the data is there for the next pod on that node', async () => {
    const sc = (await hub.cli(['get', 'storageclasses'])).stdout.split('\n');
    expect(sc[0]).toMatch(/^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE$/);
    expect(sc[1]).toMatch(/^local-path\s+drover\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+\S+$/);

    await hub.cli(['apply', '-f', '-'], { input: CLAIM_MANIFEST });
    const waiting = await waitFor('the claim Pending, waiting for its first consumer', async () => {
      const c = await claim();
      return c.status?.phase === 'Pending' ? c : undefined;
    }, 30_000);
    expect(waiting.spec.storageClassName).toBe('local-path'); // the default class, filled in at create
    expect(waiting.metadata.finalizers).toContain('kubernetes.io/pvc-protection');
    expect((await events()).some((e) => e.involvedObject.name === CLAIM && e.reason === 'WaitForFirstConsumer')).toBe(true);

    volumeNode = NODES[0]!.node;
    await hub.cli(['apply', '-f', '-'], { input: podManifest('vol-writer', 'echo written-by-writer > /data/file && sleep 3600', volumeNode) });
    const writer = await running('vol-writer');
    expect(writer.spec.nodeName).toBe(volumeNode);
    const bound = await claim();
    expect(bound.status?.phase).toBe('Bound');
    expect(bound.metadata.annotations?.['volume.kubernetes.io/selected-node']).toBe(volumeNode);
    volumeName = bound.spec.volumeName!;
    const pv = await hub.json<VolumeJson>(['get', 'pv', volumeName]);
    volumeDir = join(hub.dir, `agent-${volumeNode}`, 'volumes', volumeName);
    expect(pv.spec.local?.path).toBe(volumeDir);
    expect(pv.spec.persistentVolumeReclaimPolicy).toBe('Delete');
    expect(pv.spec.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values).toEqual([volumeNode]);
    expect(pv.status?.phase).toBe('Bound');
    await waitFor('the file written into the volume', async () => (await readFile(join(volumeDir, 'file'), 'utf8').catch(() => '')).trim() === 'written-by-writer' || undefined, 30_000);
    step(`claim bound to ${volumeName} on ${volumeNode}`);

    const pvcTable = (await hub.cli(['get', 'pvc'])).stdout.split('\n');
    expect(pvcTable[0]).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE$/);
    expect(pvcTable[1]).toMatch(new RegExp(`^${CLAIM}\\s+Bound\\s+${volumeName}\\s+64Mi\\s+RWO\\s+local-path\\s+<unset>\\s+\\S+$`));
    const pvTable = (await hub.cli(['get', 'pv'])).stdout.split('\n');
    expect(pvTable[1]).toMatch(new RegExp(`^${volumeName}\\s+64Mi\\s+RWO\\s+Delete\\s+Bound\\s+default/${CLAIM}\\s+local-path\\s+<unset>\\s+\\S+$`));
    const described = (await hub.cli(['describe', 'pvc', CLAIM])).stdout;
    expect(described).toMatch(/Used By:\s+vol-writer/);
    expect(described).toMatch(/ProvisioningSucceeded/);
    expect((await hub.cli(['describe', 'pv', volumeName])).stdout).toMatch(new RegExp(`Term 0:\\s+kubernetes.io/hostname in \\[${volumeNode}\\]`));

    // a new pod using the claim, no node named: it goes where the volume is and reads the data
    await deletePod('vol-writer');
    await hub.cli(['apply', '-f', '-'], { input: podManifest('vol-reader', 'cat /data/file; sleep 3600') });
    const reader = await running('vol-reader');
    expect(reader.spec.nodeName).toBe(volumeNode);
    await waitFor('the reader to print the data', async () => ((await hub.cli(['logs', 'vol-reader'])).stdout.includes('written-by-writer') ? true : undefined), 30_000);
    step('the reader read the data on the same node');
  }, 300_000);

  it('keeps the data over an agent restart', async () => {
    await agents.get(volumeNode)!.stop();
    agents.set(volumeNode, agentStart(volumeNode));
    await nodeReady(volumeNode, true);
    expect((await readFile(join(volumeDir, 'file'), 'utf8')).trim()).toBe('written-by-writer');
    const out = await waitFor('exec into the pod after the restart', async () => {
      const r = await hub.cli(['exec', 'vol-reader', '--', 'cat', '/data/file'], { reject: false });
      return r.exitCode === 0 ? r.stdout : undefined;
    }, 60_000);
    expect(out.trim()).toBe('written-by-writer');
  }, 180_000);

  it("keeps a pod Pending, naming the volume node affinity conflict, while the volume's node is down", async () => {
    await agents.get(volumeNode)!.stop();
    agents.delete(volumeNode);
    await nodeReady(volumeNode, false);
    step(`${volumeNode} down`);
    await deletePod('vol-reader', true);
    await hub.cli(['apply', '-f', '-'], { input: podManifest('vol-again', 'cat /data/file; sleep 3600') });
    const pending = await waitFor('the pod marked unschedulable', async () => {
      const p = await pod('vol-again');
      return p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False') ? p : undefined;
    }, 60_000);
    const scheduled = pending.status!.conditions!.find((c) => c.type === 'PodScheduled')!;
    expect(scheduled.reason).toBe('Unschedulable');
    expect(scheduled.message).toBe('0/2 nodes are available: 1 node(s) had volume node affinity conflict, 1 node(s) were not ready.');
    const failed = (await events()).filter((e) => e.involvedObject.name === 'vol-again' && e.reason === 'FailedScheduling');
    expect(failed.map((e) => e.message)).toContain(scheduled.message);
    // still Pending a while later, not moved to the node without its data
    await new Promise((r) => setTimeout(r, 5000));
    const later = await pod('vol-again');
    expect(later.spec.nodeName).toBeUndefined();
    expect(later.status?.phase).toBe('Pending');
    step('pod Pending with the reason');

    agents.set(volumeNode, agentStart(volumeNode));
    const back = await running('vol-again');
    expect(back.spec.nodeName).toBe(volumeNode);
    await waitFor('the pod to read the data', async () => ((await hub.cli(['logs', 'vol-again'])).stdout.includes('written-by-writer') ? true : undefined), 30_000);
    step('node back: the pod runs there with its data');
  }, 300_000);

  it('deletes the claim once no pod uses it, and the Delete policy removes the directory', async () => {
    // pvc-protection: the claim waits for its pod
    await hub.cli(['delete', 'pvc', CLAIM, '--wait=false']);
    const terminating = await claim();
    expect(terminating.metadata.finalizers).toContain('kubernetes.io/pvc-protection');
    expect((await hub.cli(['get', 'pvc'])).stdout).toMatch(new RegExp(`${CLAIM}\\s+Terminating`));
    expect(await exists(volumeDir)).toBe(true);
    await deletePod('vol-again');
    await waitFor('the claim gone', async () => ((await hub.cli(['get', 'pvc', CLAIM], { reject: false })).exitCode !== 0 ? true : undefined), 60_000);
    await waitFor('the volume gone', async () => ((await hub.cli(['get', 'pv', volumeName], { reject: false })).exitCode !== 0 ? true : undefined), 60_000);
    expect(await exists(volumeDir)).toBe(false);
    expect(await exists(join(hub.dir, `agent-${volumeNode}`, 'volumes'))).toBe(true);
  }, 180_000);
});

/**
 * The scheduler's image platform filter end to end: an image whose config says linux/arm64 is built
 * (install/build-test-image.sh with DROVER_IMAGE_ARCH=arm64) and loaded into containerd and Docker; a real
 * hub with a containerd agent and a Docker agent on this amd64 (or other) machine. Both agents report the
 * image's platform in node.status.images; a pod using it stays Pending with a FailedScheduling event that
 * says why, and a DaemonSet using it places no pod, while the machine's own image schedules as usual.
 */
import { execa } from 'execa';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubernetesArch } from '../../agent/host/machine.js';
import { cleanup, ROOT, startAgent, startHub, TEST_IMAGE, waitFor, type Proc, type TestHub } from './support.js';

const NODES = [
  { runtime: 'containerd' as const, node: 'ip-ctr' },
  { runtime: 'docker' as const, node: 'ip-docker' },
];
const HOST_ARCH = kubernetesArch(process.arch);
const FOREIGN_ARCH = HOST_ARCH === 'arm64' ? 'amd64' : 'arm64';
const FOREIGN_IMAGE = `drover.local/busybox-${FOREIGN_ARCH}:e2e`;

const podManifest = (name: string, image: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${image}
      imagePullPolicy: Never
      command: ["sleep", "3600"]
`;

const daemonSetManifest = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ip-exporter
spec:
  selector:
    matchLabels:
      app: ip-exporter
  template:
    metadata:
      labels:
        app: ip-exporter
    spec:
      containers:
        - name: exporter
          image: ${FOREIGN_IMAGE}
          imagePullPolicy: Never
          command: ["sleep", "3600"]
`;

interface NodeJson {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[]; images?: { names: string[]; platforms?: string[] }[] };
}

async function removeForeignImage(): Promise<void> {
  await execa('docker', ['rmi', '-f', FOREIGN_IMAGE], { reject: false });
  await execa('ctr', ['-n', 'drover', 'images', 'rm', FOREIGN_IMAGE], { reject: false });
}

describe('image platform filter (real hub, containerd and Docker agents)', () => {
  let hub: TestHub;
  const agents: Proc[] = [];

  beforeAll(async () => {
    await execa('bash', [join(ROOT, 'install/build-test-image.sh')], {
      env: { ...process.env, DROVER_IMAGE_TAGS: FOREIGN_IMAGE, DROVER_IMAGE_ARCH: FOREIGN_ARCH },
    });
    hub = await startHub();
    for (const { runtime, node } of NODES) {
      const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
      agents.push(await startAgent(hub, node, runtime, token.trim()));
    }
    await waitFor(
      'both nodes Ready, reporting their images',
      async () => {
        const list = await hub.json<{ items: NodeJson[] }>(['get', 'nodes']);
        const ready = list.items.filter(
          (n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && (n.status.images ?? []).length > 0,
        );
        return ready.length === 2;
      },
      180_000,
    );
  }, 240_000);

  afterAll(async () => {
    for (const a of agents) await a.stop();
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
    await removeForeignImage();
  });

  it('both runtimes report each image with its platform, and nodes carry their arch label', async () => {
    const nodes = (await hub.json<{ items: NodeJson[] }>(['get', 'nodes'])).items;
    for (const n of nodes) {
      expect(n.metadata.labels?.['kubernetes.io/arch']).toBe(HOST_ARCH);
      const platformsOf = (image: string) => n.status?.images?.find((i) => i.names.some((name) => name === image || name.endsWith(`/${image}`)))?.platforms;
      expect(platformsOf(FOREIGN_IMAGE), n.metadata.name).toEqual([`linux/${FOREIGN_ARCH}`]);
      expect(platformsOf(TEST_IMAGE), n.metadata.name).toEqual([`linux/${HOST_ARCH}`]);
    }
  });

  it('a pod whose image was built for another arch stays Pending and says why; one built for this arch runs', async () => {
    await hub.cli(['apply', '-f', '-'], { input: podManifest('ip-foreign', FOREIGN_IMAGE) });
    await hub.cli(['apply', '-f', '-'], { input: podManifest('ip-native', TEST_IMAGE) });
    const expected = `0/2 nodes are available: 2 node(s) didn't match the image's platform (${FOREIGN_IMAGE} is linux/${FOREIGN_ARCH}).`;
    const described = await waitFor(
      'the FailedScheduling event',
      async () => {
        const { stdout } = await hub.cli(['describe', 'pod', 'ip-foreign']);
        return stdout.includes('FailedScheduling') && stdout.includes(expected) ? stdout : undefined;
      },
      60_000,
    );
    expect(described).toMatch(/Status:\s+Pending/);
    const foreign = await hub.json<{ spec: { nodeName?: string } }>(['get', 'pod', 'ip-foreign']);
    expect(foreign.spec.nodeName).toBeUndefined();

    const native = await waitFor(
      'the native pod Running',
      async () => {
        const p = await hub.json<{ spec: { nodeName?: string }; status?: { phase?: string } }>(['get', 'pod', 'ip-native']);
        return p.status?.phase === 'Running' ? p : undefined;
      },
      120_000,
    );
    expect(NODES.map((n) => n.node)).toContain(native.spec.nodeName);
    await hub.cli(['delete', 'pod', 'ip-foreign', 'ip-native']);
  }, 240_000);

  it('a DaemonSet whose image no node can run places no pod', async () => {
    await hub.cli(['apply', '-f', '-'], { input: daemonSetManifest });
    const ds = await waitFor(
      'the DaemonSet status',
      async () => {
        const d = await hub.json<{ status?: { desiredNumberScheduled?: number; observedGeneration?: number } }>(['get', 'daemonset', 'ip-exporter']);
        return d.status?.observedGeneration !== undefined ? d : undefined;
      },
      60_000,
    );
    expect(ds.status?.desiredNumberScheduled).toBe(0);
    const pods = await hub.json<{ items: unknown[] }>(['get', 'pods', '-l', 'app=ip-exporter']);
    expect(pods.items).toHaveLength(0);
    await hub.cli(['delete', 'daemonset', 'ip-exporter']);
  }, 120_000);
});

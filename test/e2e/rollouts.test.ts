/**
 * Rollouts end to end with real processes: a `drover hub` and two `drover agent`s (containerd and
 * Docker). A 3-replica Deployment whose pods become Ready only a few seconds after they start (an exec
 * readiness probe) is updated with `drover set image` (RollingUpdate maxSurge 1, maxUnavailable 0):
 * sampling the pods through the HTTP API all along, the number of Ready pods never drops below
 * replicas - maxUnavailable = 3, and `drover rollout status` exits 0 with every pod on the new image.
 * Then `drover rollout undo` brings the previous template back: the pods run the old image in their
 * runtimes (docker inspect / ctr containers info), the old ReplicaSet takes revision 3 with
 * revision-history 1, as in Kubernetes, and `drover rollout history` lists revisions 2 and 3.
 */
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runtimeContainers, startAgent, startHub, waitFor, type Proc, type TestHub } from './support.js';

const NODES = [
  { runtime: 'containerd' as const, node: 'ro-ctr' },
  { runtime: 'docker' as const, node: 'ro-docker' },
];
const DEPLOY = 'ro-web';
const OLD_IMAGE = 'registry.local/nginx:1.26';
const NEW_IMAGE = 'registry.local/nginx:1.27';
const REPLICAS = 3;
const MAX_UNAVAILABLE = 0;
const FLOOR = REPLICAS - MAX_UNAVAILABLE;

// Ready only ~2 s after the container starts: a controller that took a running pod for an available
// one would delete an old pod before its replacement is Ready and break the floor.
const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${DEPLOY}
spec:
  replicas: ${REPLICAS}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: ${MAX_UNAVAILABLE}
  selector:
    matchLabels:
      app: ${DEPLOY}
  template:
    metadata:
      labels:
        app: ${DEPLOY}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: ${OLD_IMAGE}
        imagePullPolicy: Never
        command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 3600"]
        readinessProbe:
          exec:
            command: ["test", "-f", "/tmp/ready"]
          periodSeconds: 1
          timeoutSeconds: 10
`;

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { nodeName?: string; containers: { image: string }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}
interface ReplicaSetJson {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } };
}
interface DeploymentJson {
  metadata: { annotations?: Record<string, string> };
  spec: { template: { spec: { containers: { image: string }[] } } };
}

const isReady = (p: PodJson): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const live = (pods: PodJson[]): PodJson[] => pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');

interface Sample {
  ready: number;
  /** live pods on the new image that are not Ready yet */
  waitingNew: number;
  images: string[];
  /** name:image-tag:ready, for the failure message */
  pods: string;
}

/** Lists the Deployment's pods every ~200 ms until stopped; each list is one consistent read of the store. */
function startSampler(listPods: () => Promise<PodJson[]>, targetImage: string) {
  const samples: Sample[] = [];
  const errors: unknown[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      try {
        const pods = live(await listPods());
        samples.push({
          ready: pods.filter(isReady).length,
          waitingNew: pods.filter((p) => p.spec.containers[0]?.image === targetImage && !isReady(p)).length,
          images: pods.map((p) => p.spec.containers[0]?.image ?? ''),
          pods: pods.map((p) => `${p.metadata.name.slice(-5)}:${p.spec.containers[0]?.image.split(':').at(-1)}:${isReady(p) ? 'R' : '-'}`).join(' '),
        });
      } catch (err) {
        errors.push(err);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    samples,
    errors,
    async stop() {
      running = false;
      await done;
    },
  };
}

async function imageInRuntime(runtime: 'docker' | 'containerd', id: string): Promise<string> {
  if (runtime === 'docker') return (await execa('docker', ['inspect', '-f', '{{.Config.Image}}', id])).stdout.trim();
  const info = JSON.parse((await execa('ctr', ['-n', 'drover', 'containers', 'info', id])).stdout) as { Image: string };
  return info.Image;
}

describe('rollouts (real hub, containerd and Docker agents)', () => {
  let hub: TestHub;
  let token: string;
  const agents: Proc[] = [];

  async function api<T>(path: string): Promise<T> {
    const res = await hub.fetch(`${hub.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }
  const listPods = async () => (await api<{ items: PodJson[] }>(`/api/v1/namespaces/default/pods?labelSelector=app%3D${DEPLOY}`)).items;
  const listReplicaSets = async () => (await api<{ items: ReplicaSetJson[] }>(`/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3D${DEPLOY}`)).items;
  const revision = (o: { metadata: { annotations?: Record<string, string> } }) => o.metadata.annotations?.['deployment.kubernetes.io/revision'];

  /**
   * `drover rollout status` until it exits 0 saying the rollout is done. Each call has a --timeout below
   * the helper's own process timeout (a process killed by that timeout reads as exit 0), and a loaded
   * machine may need several.
   */
  async function rolloutStatusDone(): Promise<void> {
    const done = `deployment "${DEPLOY}" successfully rolled out`;
    let last = '';
    await waitFor(`rollout status of ${DEPLOY} to exit 0`, async () => {
      const r = await hub.cli(['rollout', 'status', `deployment/${DEPLOY}`, '--timeout', '90s'], { reject: false });
      last = `exit ${r.exitCode}: ${r.stdout.trim().split('\n').at(-1)} ${r.stderr}`;
      if (r.exitCode !== 0 && !/timed out waiting for the rollout/.test(r.stderr)) throw new Error(last);
      return r.exitCode === 0 && r.stdout.trim().split('\n').at(-1) === done;
    }, 300_000).catch((err: unknown) => {
      throw new Error(`${String(err)}; last: ${last}`, { cause: err });
    });
  }

  /** Run `set image` or `rollout undo` while sampling, wait for `rollout status`, and check the floor held. */
  async function rolloutSampled(change: () => Promise<void>, targetImage: string): Promise<Sample[]> {
    const sampler = startSampler(listPods, targetImage);
    try {
      await change();
      await rolloutStatusDone();
      // rollout status is done when the new pods are available; the old ones may still be terminating
      await waitFor(`every pod of ${DEPLOY} on ${targetImage} and Ready`, async () => {
        const pods = live(await listPods());
        return pods.length === REPLICAS && pods.every((p) => p.spec.containers[0]?.image === targetImage && isReady(p));
      }, 60_000);
    } finally {
      await sampler.stop();
    }
    const { samples } = sampler;
    expect(samples.length).toBeGreaterThan(10);
    // the rollout happened while sampling: some samples saw both images, and a new pod not Ready yet
    expect(samples.some((s) => s.images.includes(targetImage) && s.images.some((i) => i !== targetImage))).toBe(true);
    expect(samples.some((s) => s.waitingNew > 0)).toBe(true);
    // the guarantee: never fewer than replicas - maxUnavailable Ready pods
    const min = Math.min(...samples.map((s) => s.ready));
    expect(min, `samples: ${samples.map((s) => s.pods).join(' | ')}`).toBeGreaterThanOrEqual(FLOOR);
    return samples;
  }

  beforeAll(async () => {
    // A node whose status is late on a loaded machine would mark its pods not Ready: an involuntary
    // disruption that maxUnavailable does not cover (in Kubernetes either), so give node liveness room.
    hub = await startHub(['--node-monitor-grace', '120s', '--eviction-grace', '10m']);
    token = (JSON.parse(await readFile(hub.configPath, 'utf8')) as { token: string }).token;
    for (const { runtime, node } of NODES) {
      const { stdout: joinToken } = await hub.cli(['token', 'create', '--ttl', '10m']);
      agents.push(await startAgent(hub, node, runtime, joinToken.trim()));
    }
    await waitFor('both nodes Ready', async () => {
      const list = await hub.json<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'nodes']);
      return list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2;
    }, 180_000);
    await hub.cli(['apply', '-f', '-'], { input: MANIFEST });
    await rolloutStatusDone();
    await waitFor(`${REPLICAS} Ready pods`, async () => live(await listPods()).filter(isReady).length === REPLICAS, 60_000);
  }, 600_000);

  afterAll(async () => {
    if (hub) {
      await hub.cli(['delete', 'deployment', DEPLOY, '--timeout', '60s'], { reject: false });
      // the garbage collector removes the ReplicaSets and their pods; the agents stop the containers
      await waitFor(`the pods of ${DEPLOY} gone`, async () => (await hub.cli(['get', 'pods', '-l', `app=${DEPLOY}`, '-o', 'name'])).stdout.trim() === '', 90_000)
        .catch(() => undefined);
    }
    for (const a of agents) await a.stop();
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
  }, 180_000);

  it('set image: a rolling update gated on readiness never drops below replicas - maxUnavailable Ready pods', async () => {
    const before = live(await listPods());
    expect(before.filter(isReady)).toHaveLength(REPLICAS);
    expect(new Set(before.map((p) => p.spec.nodeName))).toEqual(new Set(NODES.map((n) => n.node))); // spread over both

    await rolloutSampled(async () => {
      const r = await hub.cli(['set', 'image', `deployment/${DEPLOY}`, `web=${NEW_IMAGE}`]);
      expect(r.stdout.trim()).toBe(`deployment.apps/${DEPLOY} image updated`);
    }, NEW_IMAGE);

    const after = live(await listPods());
    expect(after.map((p) => p.metadata.name).filter((n) => before.some((b) => b.metadata.name === n))).toEqual([]); // every pod replaced
    const d = await hub.json<DeploymentJson>(['get', 'deployment', DEPLOY]);
    expect(revision(d)).toBe('2');
  }, 420_000);

  it('rollout undo restores the previous template: old image in the runtimes, revisions moved as Kubernetes does', async () => {
    const rssBefore = await listReplicaSets();
    const oldRs = rssBefore.find((rs) => rs.spec.template.spec.containers[0]?.image === OLD_IMAGE);
    const newRs = rssBefore.find((rs) => rs.spec.template.spec.containers[0]?.image === NEW_IMAGE);
    expect(oldRs && revision(oldRs)).toBe('1');
    expect(newRs && revision(newRs)).toBe('2');

    await rolloutSampled(async () => {
      const r = await hub.cli(['rollout', 'undo', `deployment/${DEPLOY}`]);
      expect(r.stdout.trim()).toBe(`deployment.apps/${DEPLOY} rolled back`);
    }, OLD_IMAGE);

    const d = await hub.json<DeploymentJson>(['get', 'deployment', DEPLOY]);
    expect(d.spec.template.spec.containers[0]?.image).toBe(OLD_IMAGE);
    expect(revision(d)).toBe('3');
    // the first ReplicaSet is reused (same template, same hash) and takes the next revision
    const rss = await listReplicaSets();
    expect(rss.map((rs) => rs.metadata.name).sort()).toEqual([oldRs!.metadata.name, newRs!.metadata.name].sort());
    const reused = rss.find((rs) => rs.metadata.name === oldRs!.metadata.name)!;
    expect(revision(reused)).toBe('3');
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    expect(reused.spec.replicas).toBe(REPLICAS);
    const retired = rss.find((rs) => rs.metadata.name === newRs!.metadata.name)!;
    expect(revision(retired)).toBe('2');
    expect(retired.spec.replicas).toBe(0);

    const history = await hub.cli(['rollout', 'history', `deployment/${DEPLOY}`]);
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);
    expect(history.stdout).not.toMatch(/^1\s/m);
    const rev2 = await hub.cli(['rollout', 'history', `deployment/${DEPLOY}`, '--revision', '2']);
    expect(rev2.stdout).toContain(`image: ${NEW_IMAGE}`);

    // what actually runs: each pod's container in its node's runtime has the old image
    const pods = live(await listPods());
    expect(pods).toHaveLength(REPLICAS);
    for (const pod of pods) {
      expect(pod.metadata.labels?.['pod-template-hash']).toBe(oldRs!.metadata.name.slice(DEPLOY.length + 1));
      const runtime = NODES.find((n) => n.node === pod.spec.nodeName)!.runtime;
      const ids = await runtimeContainers(runtime, pod.metadata.name);
      expect(ids.length, `${pod.metadata.name} in ${runtime}`).toBeGreaterThan(0);
      for (const id of ids) expect(await imageInRuntime(runtime, id)).toBe(OLD_IMAGE);
    }
  }, 420_000);
});

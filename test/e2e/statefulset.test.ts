/**
 * StatefulSets end to end (issue 15): a real `drover hub` and two containerd agents from dist/, each a
 * "device" in a network namespace of its own on a LAN with the pod network (test/e2e/network/cluster.ts),
 * and the real CLI. A StatefulSet `tsdb` of 3 behind the headless Service `tsdb`: its pods come up in
 * ordinal order (each once the one below is Ready, seen by polling), each pod's hostname is its name and
 * `tsdb-N.tsdb.sts.svc.cluster.local` resolves from another pod through the cluster DNS; each pod has its
 * claim `data-tsdb-N` (volumeClaimTemplates) on a local-path volume; a deleted pod comes back with its name,
 * on the same node with the data it wrote (and its new IP under the same DNS name); a scale-down removes the highest ordinal first; a rolling
 * update with a partition replaces only the ordinals at or above it, highest first, and `rollout
 * status|history|undo` follow it through the ControllerRevisions.
 *
 * Nodes sts-a, sts-b (containerd devices 10.86.0.11/.12).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../agent/network/devices.js';
import { nodeReady, startCluster, type Cluster } from './network/cluster.js';
import { TEST_IMAGE, waitFor } from './support.js';

const PREFIX = 'sts';
const NS = PREFIX;
const A = `${PREFIX}-a`;
const B = `${PREFIX}-b`;

const statefulSet = (o: { replicas: number; partition?: number; version?: string }) => `apiVersion: v1
kind: Service
metadata: { name: tsdb }
spec:
  clusterIP: None
  selector: { app: tsdb }
  ports: [{ name: http, port: 8080 }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: tsdb }
spec:
  serviceName: tsdb
  replicas: ${o.replicas}
  selector: { matchLabels: { app: tsdb } }
${o.partition !== undefined ? `  updateStrategy: { type: RollingUpdate, rollingUpdate: { partition: ${o.partition} } }\n` : ''}  template:
    metadata:
      labels: { app: tsdb }
      annotations: { version: "${o.version ?? 'v1'}" }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: db
          image: ${TEST_IMAGE}
          imagePullPolicy: Never
          command: ["sh", "-c", "mkdir -p /tmp/www && hostname > /tmp/www/index.html && echo ok > /tmp/www/ready && exec httpd -f -p 8080 -h /tmp/www"]
          ports: [{ name: http, containerPort: 8080 }]
          volumeMounts: [{ name: data, mountPath: /data }]
          readinessProbe:
            httpGet: { path: /ready, port: 8080 }
            initialDelaySeconds: 2
            periodSeconds: 1
  volumeClaimTemplates:
    - metadata: { name: data }
      spec:
        accessModes: [ReadWriteOnce]
        resources: { requests: { storage: 10Mi } }
`;

const client = `apiVersion: v1
kind: Pod
metadata: { name: dns-client }
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sleep", "3600"]
`;

interface PodJson {
  metadata: { name: string; uid: string; creationTimestamp: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { nodeName?: string; hostname?: string; subdomain?: string };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}
interface SetJson {
  status?: { replicas?: number; readyReplicas?: number; currentRevision?: string; updateRevision?: string; updatedReplicas?: number; currentReplicas?: number };
}

const isReady = (p: PodJson | undefined) => p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

describe('StatefulSet across devices', () => {
  let cluster: Cluster;
  const pods = async (): Promise<PodJson[]> => (await cluster.hub.json<{ items: PodJson[] }>(['get', 'pods', '-n', NS, '-l', 'app=tsdb'])).items;
  const pod = async (name: string) => (await pods()).find((p) => p.metadata.name === name);
  const set = async () => cluster.hub.json<SetJson>(['get', 'statefulset', 'tsdb', '-n', NS]);
  // FQDNs: busybox's nslookup applies the search list only to names without a dot (glibc's resolver, with ndots:5, would find tsdb-0.tsdb)
  const fqdn = (pod: string) => `${pod}.tsdb.${NS}.svc.cluster.local`;
  const resolve = async (name: string) => {
    const r = await cluster.sh('dns-client', `nslookup ${name} | awk '/^Address: /{print $2}' | tail -n 1`);
    return r.stdout.trim();
  };

  beforeAll(async () => {
    cluster = await startCluster({ prefix: PREFIX, base: '10.86.0', mqttPort: 18987, clusterCIDR: '10.56.0.0/16', serviceCIDR: '10.57.0.0/16' });
    await cluster.addDevice('a', '10.86.0.11');
    await cluster.addDevice('b', '10.86.0.12');
    for (const n of [A, B]) await waitFor(`${n} Ready`, async () => nodeReady(await cluster.nodeJson(n)), 90_000);
    await cluster.apply(client);
    await cluster.waitReady('dns-client');
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('3 replicas start in ordinal order, each once the one below is Ready; hostname = pod name, subdomain = the Service', async () => {
    await cluster.apply(statefulSet({ replicas: 3 }));
    // what was seen at each poll: when each pod first appeared, whether the ones below were Ready then
    const firstSeen = new Map<string, number>();
    const belowReadyWhenSeen = new Map<string, boolean>();
    let poll = 0;
    await waitFor(
      'tsdb-0..2 Ready',
      async () => {
        poll++;
        const now = await pods();
        const byName = new Map(now.map((p) => [p.metadata.name, p]));
        for (const p of now) {
          if (firstSeen.has(p.metadata.name)) continue;
          firstSeen.set(p.metadata.name, poll);
          const ordinal = Number(p.metadata.name.split('-')[1]);
          let below = true;
          for (let i = 0; i < ordinal; i++) below &&= isReady(byName.get(`tsdb-${i}`));
          belowReadyWhenSeen.set(p.metadata.name, below);
        }
        return now.length === 3 && now.every(isReady);
      },
      180_000,
      200,
    );
    expect([...firstSeen.keys()]).toEqual(['tsdb-0', 'tsdb-1', 'tsdb-2']);
    expect(firstSeen.get('tsdb-0')!).toBeLessThan(firstSeen.get('tsdb-1')!);
    expect(firstSeen.get('tsdb-1')!).toBeLessThan(firstSeen.get('tsdb-2')!);
    expect(Object.fromEntries(belowReadyWhenSeen)).toEqual({ 'tsdb-0': true, 'tsdb-1': true, 'tsdb-2': true });
    const all = await pods();
    const created = all.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)).map((p) => Date.parse(p.metadata.creationTimestamp));
    expect(created[0]!).toBeLessThanOrEqual(created[1]!);
    expect(created[1]!).toBeLessThanOrEqual(created[2]!);
    for (const p of all) {
      expect(p.spec.hostname).toBe(p.metadata.name);
      expect(p.spec.subdomain).toBe('tsdb');
      expect(p.metadata.labels?.['statefulset.kubernetes.io/pod-name']).toBe(p.metadata.name);
      expect(p.metadata.labels?.['apps.kubernetes.io/pod-index']).toBe(p.metadata.name.split('-')[1]);
      expect((await cluster.sh(p.metadata.name, 'hostname')).stdout.trim()).toBe(p.metadata.name);
    }
    const st = (await set()).status!;
    expect(st).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3 });
    expect(st.currentRevision).toBe(st.updateRevision);
    const table = (await cluster.hub.cli(['get', 'statefulsets', '-n', NS])).stdout;
    expect(table).toMatch(/^NAME\s+READY\s+AGE\n/);
    expect(table).toMatch(/\ntsdb\s+3\/3\s+\S+/);
    const described = (await cluster.hub.cli(['describe', 'sts', 'tsdb', '-n', NS])).stdout;
    expect(described).toMatch(/Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed/);
    expect(described).toMatch(/Update Strategy:\s+RollingUpdate/);
  }, 240_000);

  it('each pod has a stable DNS name through the headless Service, resolved from another pod', async () => {
    for (const p of await pods()) {
      const ip = p.status!.podIP!;
      expect(await eventually(`${fqdn(p.metadata.name)} resolves`, async () => ((await resolve(fqdn(p.metadata.name))) === ip ? ip : undefined))).toBe(ip);
    }
    // the Service's own name answers every pod
    const all = (await cluster.sh('dns-client', 'nslookup tsdb')).stdout;
    for (const p of await pods()) expect(all).toContain(p.status!.podIP!);
  }, 120_000);

  it('each pod has its own claim data-tsdb-N, bound to a local volume on its node', async () => {
    interface ClaimJson { metadata: { name: string; annotations?: Record<string, string> }; spec: { volumeName?: string; storageClassName?: string }; status?: { phase?: string } }
    const claims = await waitFor('3 claims Bound', async () => {
      const items = (await cluster.hub.json<{ items: ClaimJson[] }>(['get', 'pvc', '-n', NS])).items;
      return items.length === 3 && items.every((c) => c.status?.phase === 'Bound') ? items : undefined;
    }, 60_000);
    expect(claims.map((c) => c.metadata.name).sort()).toEqual(['data-tsdb-0', 'data-tsdb-1', 'data-tsdb-2']);
    for (const c of claims) expect(c.spec.storageClassName).toBe('local-path');
    for (const p of await pods()) {
      expect((await cluster.sh(p.metadata.name, `echo data-of-${p.metadata.name} > /data/marker && cat /data/marker`)).stdout.trim()).toBe(`data-of-${p.metadata.name}`);
    }
  }, 120_000);

  it('a deleted pod comes back with its name, its hostname, its volume data on the same node, and its DNS name pointing at it', async () => {
    const old = (await pod('tsdb-1'))!;
    await cluster.hub.cli(['delete', 'pod', 'tsdb-1', '-n', NS]);
    const back = await waitFor(
      'tsdb-1 back and Ready',
      async () => {
        const p = await pod('tsdb-1');
        return p && p.metadata.uid !== old.metadata.uid && isReady(p) && p.status?.podIP ? p : undefined;
      },
      120_000,
    );
    expect(back.spec.hostname).toBe('tsdb-1');
    expect(back.spec.nodeName).toBe(old.spec.nodeName);
    expect((await cluster.sh('tsdb-1', 'cat /data/marker')).stdout.trim()).toBe('data-of-tsdb-1');
    expect((await cluster.sh('tsdb-1', 'hostname')).stdout.trim()).toBe('tsdb-1');
    expect((await pods()).map((p) => p.metadata.name).sort()).toEqual(['tsdb-0', 'tsdb-1', 'tsdb-2']);
    const ip = back.status!.podIP!;
    expect(await eventually('tsdb-1 DNS name follows the new pod', async () => ((await resolve(fqdn('tsdb-1'))) === ip ? ip : undefined))).toBe(ip);
  }, 180_000);

  it('a scale-down removes the highest ordinal first, one at a time', async () => {
    const before = new Map((await pods()).map((p) => [p.metadata.name, p.metadata.uid]));
    await cluster.hub.cli(['scale', 'statefulset', 'tsdb', '-n', NS, '--replicas', '1']);
    const goneAt = new Map<string, number>();
    let poll = 0;
    await waitFor(
      'only tsdb-0 left',
      async () => {
        poll++;
        const now = await pods();
        for (const name of ['tsdb-1', 'tsdb-2']) {
          const p = now.find((x) => x.metadata.name === name);
          if (!goneAt.has(name) && (!p || p.metadata.deletionTimestamp)) goneAt.set(name, poll);
        }
        return now.length === 1 && now[0]!.metadata.name === 'tsdb-0';
      },
      120_000,
      100,
    );
    expect(goneAt.get('tsdb-2')!).toBeLessThan(goneAt.get('tsdb-1')!);
    expect((await pod('tsdb-0'))!.metadata.uid).toBe(before.get('tsdb-0'));
    await waitFor('status 1', async () => (await set()).status?.replicas === 1, 60_000);

    await cluster.hub.cli(['scale', 'statefulset', 'tsdb', '-n', NS, '--replicas', '3']);
    await waitFor('three Ready again', async () => {
      const now = await pods();
      return now.length === 3 && now.every(isReady);
    }, 180_000);
  }, 300_000);

  it('a rolling update with partition 2 replaces tsdb-2 alone; partition 0 then the rest, highest first; rollout history and undo', async () => {
    const rev1 = (await set()).status!.currentRevision!;
    const uids = new Map((await pods()).map((p) => [p.metadata.name, p.metadata.uid]));
    await cluster.apply(statefulSet({ replicas: 3, partition: 2, version: 'v2' }));
    const status = await cluster.hub.cli(['rollout', 'status', 'statefulset/tsdb', '-n', NS, '--timeout', '100s']);
    expect(status.stdout).toContain('partitioned roll out complete: 1 new pods have been updated...');
    const st = (await set()).status!;
    expect(st.updateRevision).not.toBe(rev1);
    expect(st.currentRevision).toBe(rev1);
    const now = new Map((await pods()).map((p) => [p.metadata.name, p]));
    expect(now.get('tsdb-2')!.metadata.labels?.['controller-revision-hash']).toBe(st.updateRevision);
    expect(now.get('tsdb-2')!.metadata.uid).not.toBe(uids.get('tsdb-2'));
    for (const name of ['tsdb-0', 'tsdb-1']) {
      expect(now.get(name)!.metadata.labels?.['controller-revision-hash']).toBe(rev1);
      expect(now.get(name)!.metadata.uid).toBe(uids.get(name));
    }

    // partition 0: tsdb-1 is replaced before tsdb-0
    const replacedAt = new Map<string, number>();
    let poll = 0;
    await cluster.apply(statefulSet({ replicas: 3, partition: 0, version: 'v2' }));
    await waitFor(
      'all at the update revision',
      async () => {
        poll++;
        const ps = await pods();
        for (const p of ps) {
          if (!replacedAt.has(p.metadata.name) && (p.metadata.deletionTimestamp || p.metadata.uid !== uids.get(p.metadata.name))) replacedAt.set(p.metadata.name, poll);
        }
        const s = (await set()).status;
        return s?.currentRevision === st.updateRevision && s?.readyReplicas === 3 ? true : undefined;
      },
      180_000,
      150,
    );
    expect(replacedAt.get('tsdb-1')!).toBeLessThan(replacedAt.get('tsdb-0')!);
    const done = await cluster.hub.cli(['rollout', 'status', 'sts/tsdb', '-n', NS, '--timeout', '60s']);
    expect(done.stdout).toContain('partitioned roll out complete: 3 new pods have been updated...');

    const history = (await cluster.hub.cli(['rollout', 'history', 'statefulset/tsdb', '-n', NS])).stdout;
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    const rev2 = (await cluster.hub.cli(['rollout', 'history', 'statefulset/tsdb', '-n', NS, '--revision', '2'])).stdout;
    expect(rev2).toContain('version: v2');

    // undo: back to the first template, which becomes revision 3
    expect((await cluster.hub.cli(['rollout', 'undo', 'statefulset/tsdb', '-n', NS])).stdout).toContain('statefulset.apps/tsdb rolled back');
    await waitFor('back at the first revision', async () => {
      const s = (await set()).status;
      return s?.currentRevision === rev1 && s.updateRevision === rev1 && s.readyReplicas === 3;
    }, 180_000);
    expect((await cluster.hub.cli(['rollout', 'history', 'statefulset/tsdb', '-n', NS])).stdout).toMatch(/\n2\s+<none>\n3\s+<none>/);
  }, 420_000);
});

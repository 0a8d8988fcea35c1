/**
 * Issue 12, finding 5. Attack: one tenant makes a node's desired set larger than one MQTT message.
 * Before: two 2.9 MB ConfigMaps and a pod using both made the node's set 7.7 MB, over the agent's 4 MiB
 * limit; the node then rejected every update for every namespace, and the hub logged and recorded nothing.
 * Expected (as Kubernetes): a ConfigMap over 1 MiB is refused at the API (422, "data: Too long: must have
 * at most 1048576 bytes"); config that is allowed but large together still reaches the node (the set is
 * split into parts of one generation), other tenants' pods keep being delivered, and a pod that cannot be
 * delivered even alone is named in a Warning Event instead of freezing the node. Observed: below; the set's
 * size and parts are printed as CHAOS-FIGURE lines.
 *
 * Real processes: a `drover hub`, one `drover agent` on Docker (--no-pod-network).
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api, figure } from '../chaos/support.js';
import { cleanup, runtimeContainers, startAgent, startHub, sleepPodManifest, waitFor, type Proc, type TestHub } from '../e2e/support.js';

const NODE = 'trust-big';
const TENANT = 'trust-tenant';
const VALUE_BYTES = 900_000;

function podManifest(name: string, namespace: string, configMaps: string[]): string {
  return sleepPodManifest({
    name,
    node: NODE,
    namespace,
    container: `      volumeMounts:\n${configMaps.map((c) => `        - { name: ${c}, mountPath: /etc/${c} }`).join('\n')}\n`,
    spec: `  volumes:\n${configMaps.map((c) => `    - name: ${c}\n      configMap: { name: ${c} }`).join('\n')}\n`,
  });
}
const plainPod = (name: string, namespace = 'default') => sleepPodManifest({ name, node: NODE, namespace });

describe('desired sets that cannot fit in one message (real hub and agent, Docker)', () => {
  let hub: TestHub;
  let agent: Proc;
  let token: string;
  const pods: [string, string][] = [];

  async function phase(name: string, namespace: string): Promise<string | undefined> {
    const r = await api<{ status?: { phase?: string } }>(hub, token, 'GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
    return r.status === 200 ? r.body.status?.phase : undefined;
  }
  async function apply(manifest: string, name: string, namespace: string): Promise<void> {
    pods.push([namespace, name]);
    await hub.cli(['apply', '-f', '-'], { input: manifest });
  }
  const running = (name: string, namespace: string) => waitFor(`${namespace}/${name} Running`, async () => (await phase(name, namespace)) === 'Running', 120_000);

  beforeAll(async () => {
    hub = await startHub();
    token = await adminToken(hub);
    const join = (await hub.cli(['token', 'create', '--ttl', '10m'])).stdout.trim();
    agent = await startAgent(hub, NODE, 'docker', join);
    expect((await api(hub, token, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: TENANT } })).status).toBe(201);
    await apply(plainPod('other-tenant'), 'other-tenant', 'default');
    await running('other-tenant', 'default');
  }, 240_000);

  afterAll(async () => {
    for (const [ns, name] of pods) await hub?.cli(['delete', 'pod', name, '-n', ns, '--grace-period', '0'], { reject: false }).catch(() => undefined);
    await waitFor('the pods removed', async () => {
      for (const [, name] of pods) if ((await runtimeContainers('docker', name)).length > 0) return false;
      return true;
    }, 30_000).catch(() => undefined);
    await agent?.stop();
    await hub?.stop();
    for (const [, name] of pods) for (const id of await runtimeContainers('docker', name).catch(() => [])) await execa('docker', ['rm', '-f', id], { reject: false });
    if (hub) await cleanup(hub.dir);
  });

  it('a 2.9 MB ConfigMap is refused at the API with 422 naming the field', async () => {
    const r = await api<{ reason: string; message: string; details?: { causes?: { field: string }[] } }>(hub, token, 'POST', `/api/v1/namespaces/${TENANT}/configmaps`, {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'too-big' }, data: { blob: 'x'.repeat(2_900_000) },
    });
    expect(r.status).toBe(422);
    expect(r.body.reason).toBe('Invalid');
    expect(r.body.message).toMatch(/data: Too long: must have at most 1048576 bytes/);
  });

  it('four 900 KB ConfigMaps used by two pods (a set over 4 MiB) reach the node split in parts; every pod runs', async () => {
    for (let i = 1; i <= 4; i++) {
      const r = await api(hub, token, 'POST', `/api/v1/namespaces/${TENANT}/configmaps`, {
        apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm${i}` }, data: { blob: String(i).repeat(VALUE_BYTES) },
      });
      expect(r.status).toBe(201);
    }
    await apply(podManifest('big-1', TENANT, ['cm1', 'cm2']), 'big-1', TENANT);
    await apply(podManifest('big-2', TENANT, ['cm3', 'cm4']), 'big-2', TENANT);
    await running('big-1', TENANT);
    await running('big-2', TENANT);
    const split = /"parts":(\d+)[^\n]*desired set split into parts/.exec(hub.proc.output());
    expect(split).not.toBeNull();
    figure('4 x 900 KB ConfigMaps on one node: desired set parts', split![1]!);
    // the files reached the containers whole
    const [id] = await runtimeContainers('docker', 'big-2');
    const r = await execa('docker', ['exec', id!, 'sh', '-c', 'wc -c < /etc/cm4/blob']);
    expect(Number(r.stdout.trim())).toBe(VALUE_BYTES);
    // and another tenant's new pod still gets through
    await apply(plainPod('other-tenant-2'), 'other-tenant-2', 'default');
    await running('other-tenant-2', 'default');
  }, 300_000);

  it('a pod too large to deliver even alone is named in a Warning Event; the node keeps taking the rest', async () => {
    await apply(podManifest('huge', TENANT, ['cm1', 'cm2', 'cm3', 'cm4']), 'huge', TENANT);
    const event = await waitFor('the TooLargeToDeliver event', async () => {
      const r = await api<{ items: { reason: string; message: string; involvedObject: { name: string } }[] }>(hub, token, 'GET', `/api/v1/namespaces/${TENANT}/events`);
      return r.body.items.find((e) => e.reason === 'TooLargeToDeliver' && e.involvedObject.name === 'huge');
    }, 60_000);
    figure('undeliverable pod event', event.message);
    expect(event.message).toMatch(/over the 4194304 bytes one message to node trust-big may carry/);
    expect(await phase('huge', TENANT)).toBe('Pending');
    await apply(plainPod('after-huge'), 'after-huge', 'default');
    await running('after-huge', 'default');
    expect(await phase('big-1', TENANT)).toBe('Running');
  }, 240_000);
});

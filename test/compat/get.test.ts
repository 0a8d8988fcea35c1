/**
 * `kubectl get` against a real hub prints the columns Kubernetes prints (server-side Tables), not just
 * NAME and AGE: deployments, services (-o wide adds SELECTOR), configmaps, secrets, endpoints, events,
 * several kinds at once and -A.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaFetch } from '../../hub/cli/tls-fetch.js';
import { startCompatHub, type CompatHub } from './support.js';

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 0
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: registry.local/nginx:1.26 }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings }
data: { a: "1", b: "2" }
---
apiVersion: v1
kind: Secret
metadata: { name: creds }
stringData: { password: hunter2 }
`;

/** The header line of kubectl's table, its columns split on runs of spaces. */
const header = (out: string): string[] => out.split('\n')[0]!.trim().split(/\s{2,}/);
const rowOf = (out: string, name: string): string[] | undefined =>
  out
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/))
    .find((cells) => cells[0] === name || cells[1] === name);

describe('kubectl get prints server-side Tables (real kubectl, real hub)', () => {
  let h: CompatHub;
  beforeAll(async () => {
    h = await startCompatHub('get');
    const applied = await h.kubectl(['apply', '--validate=false', '-f', '-'], manifests);
    expect(applied.code, applied.out).toBe(0);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('deployments: NAME READY UP-TO-DATE AVAILABLE AGE; -o wide adds CONTAINERS IMAGES SELECTOR', async () => {
    const plain = await h.kubectl(['get', 'deployments']);
    expect(header(plain.stdout)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(rowOf(plain.stdout, 'web')?.slice(0, 4)).toEqual(['web', '0/0', '0', '0']);
    const wide = await h.kubectl(['get', 'deployments', '-o', 'wide']);
    expect(header(wide.stdout)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(rowOf(wide.stdout, 'web')?.slice(-3)).toEqual(['web', 'registry.local/nginx:1.26', 'app=web']);
  });

  it('services show their type, cluster IP and ports; -o wide the selector', async () => {
    const wide = await h.kubectl(['get', 'svc', '-o', 'wide']);
    expect(header(wide.stdout)).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
    const row = rowOf(wide.stdout, 'web')!;
    expect(row[1]).toBe('ClusterIP');
    expect(row[2]).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(row[4]).toBe('80/TCP');
    expect(row[6]).toBe('app=web');
  });

  it('configmaps, secrets and endpoints have their DATA, TYPE and ENDPOINTS columns', async () => {
    const cm = await h.kubectl(['get', 'configmaps', 'settings']);
    expect(header(cm.stdout)).toEqual(['NAME', 'DATA', 'AGE']);
    expect(rowOf(cm.stdout, 'settings')?.[1]).toBe('2');
    const secret = await h.kubectl(['get', 'secret', 'creds']);
    expect(header(secret.stdout)).toEqual(['NAME', 'TYPE', 'DATA', 'AGE']);
    expect(rowOf(secret.stdout, 'creds')?.slice(1, 3)).toEqual(['Opaque', '1']);
    const ep = await h.kubectl(['get', 'ep', 'web']);
    expect(header(ep.stdout)).toEqual(['NAME', 'ENDPOINTS', 'AGE']);
    expect(rowOf(ep.stdout, 'web')?.[1]).toBe('<none>');
  });

  it('several kinds at once and every namespace: kubectl adds the kind to names and a NAMESPACE column', async () => {
    const both = await h.kubectl(['get', 'deploy,cm', '-A']);
    expect(both.code, both.out).toBe(0);
    expect(both.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE/m);
    expect(both.stdout).toContain('deployment.apps/web');
    expect(both.stdout).toMatch(/^NAMESPACE\s+NAME\s+DATA\s+AGE/m);
    expect(both.stdout).toContain('configmap/settings');
  });

  it("events select by involvedObject fields, so describe shows an object's events", async () => {
    const events = async () => h.kubectl(['get', 'events', '--field-selector', 'involvedObject.kind=Service,involvedObject.name=web']);
    let listed = await events();
    for (let i = 0; i < 40 && !listed.stdout.includes('NoReadyEndpoints'); i++) {
      await new Promise((r) => setTimeout(r, 250));
      listed = await events();
    }
    expect(listed.code, listed.out).toBe(0);
    expect(header(listed.stdout)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(listed.stdout).toMatch(/Warning\s+NoReadyEndpoints\s+service\/web/);
    const none = await h.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=nothing-here']);
    expect(none.out).toContain('No resources found');
    const described = await h.kubectl(['describe', 'service', 'web']);
    expect(described.stdout).toMatch(/Events:\s*\n\s+Type\s+Reason\s+Age\s+From\s+Message/);
    expect(described.stdout).toContain('NoReadyEndpoints');
  });

  it('a Table is what the API answers when asked, with the object as PartialObjectMetadata by default', async () => {
    const res = await h.kubectl(['get', '--raw', '/apis/apps/v1/namespaces/default/deployments']);
    expect((JSON.parse(res.stdout) as { kind: string }).kind).toBe('DeploymentList'); // plain JSON unless asked
    const raw = await fetchTable(h, '/apis/apps/v1/namespaces/default/deployments');
    expect(raw.kind).toBe('Table');
    expect(raw.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0], ['Ready', 0], ['Up-To-Date', 0], ['Available', 0], ['Age', 0], ['Containers', 1], ['Images', 1], ['Selector', 1],
    ]);
    expect(raw.rows[0]!.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'web' } });
  });
});

interface TableJson {
  kind: string;
  columnDefinitions: { name: string; priority: number }[];
  rows: { cells: unknown[]; object?: unknown }[];
}

async function fetchTable(h: CompatHub, path: string): Promise<TableJson> {
  const caFetch = createCaFetch(await readFile(h.hub.caCertPath, 'utf8'));
  const res = await caFetch(`${h.hub.httpUrl}${path}`, {
    headers: { authorization: `Bearer ${h.hub.adminToken}`, accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
  });
  return (await res.json()) as TableJson;
}

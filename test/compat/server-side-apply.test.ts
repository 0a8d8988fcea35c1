/**
 * Server-side apply with the real kubectl: create, change, conflicts with `kubectl scale` (and
 * --force-conflicts), removal of fields left out, managedFields, client-side apply afterwards, diff.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startCompatHub, type CompatHub } from './support.js';

const deployment = (o: { replicas?: number; env?: string; label?: boolean } = {}) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web${o.label === false ? '' : ', tier: front'} }
spec:
${o.replicas === undefined ? '' : `  replicas: ${o.replicas}\n`}  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: registry.local/nginx:1.26
${o.env ? `          env: [{ name: MODE, value: ${o.env} }]\n` : ''}`;

const at = (tree: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], tree);

interface Managed {
  manager: string;
  operation: string;
  fieldsType: string;
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

describe('server-side apply (real kubectl, real hub)', () => {
  let h: CompatHub;
  beforeAll(async () => {
    h = await startCompatHub('ssa');
  });
  afterAll(async () => {
    await h?.close();
  });
  const get = async () => parse((await h.kubectl(['get', 'deployment', 'web', '-o', 'yaml', '--show-managed-fields'])).stdout) as {
    metadata: { labels: Record<string, string>; managedFields: Managed[] };
    spec: { replicas: number; template: { spec: { containers: Array<{ env?: unknown[]; image: string }> } } };
  };

  it('creates, updates, conflicts with kubectl scale, wins with --force-conflicts and removes what the file leaves out', async () => {
    const created = await h.kubectl(['apply', '--server-side', '-f', '-'], deployment({ replicas: 0, env: 'a' }));
    expect(created.code, created.out).toBe(0);
    expect(created.out).toContain('deployment.apps/web serverside-applied');
    let d = await get();
    expect(d.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1' })]);
    const fields = d.metadata.managedFields[0]!.fieldsV1;
    const container = ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}'];
    expect(at(fields, 'f:spec', 'f:replicas')).toEqual({});
    expect(at(fields, ...container, 'f:image')).toEqual({});
    expect(at(fields, ...container, '.')).toEqual({});

    const changed = await h.kubectl(['apply', '--server-side', '-f', '-'], deployment({ replicas: 0, env: 'b' }));
    expect(changed.code, changed.out).toBe(0);
    expect((await get()).spec.template.spec.containers[0]!.env).toEqual([{ name: 'MODE', value: 'b' }]);

    const scaled = await h.kubectl(['scale', 'deployment', 'web', '--replicas=2']);
    expect(scaled.code, scaled.out).toBe(0);
    d = await get();
    expect(d.spec.replicas).toBe(2);
    const scaler = d.metadata.managedFields.find((m) => m.operation === 'Update')!;
    expect(scaler.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });

    const conflict = await h.kubectl(['apply', '--server-side', '-f', '-'], deployment({ replicas: 3, env: 'b' }));
    expect(conflict.code).not.toBe(0);
    expect(conflict.out).toContain(`Apply failed with 1 conflict: conflict with "${scaler.manager}" with subresource "scale" using apps/v1: .spec.replicas`);
    expect(conflict.out).toContain('--force-conflicts');
    expect((await get()).spec.replicas).toBe(2);

    const forced = await h.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], deployment({ replicas: 3, env: 'b' }));
    expect(forced.code, forced.out).toBe(0);
    d = await get();
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.managedFields.map((m) => m.manager)).toEqual(['kubectl']);

    const trimmed = await h.kubectl(['apply', '--server-side', '-f', '-'], deployment({ replicas: 3, label: false }));
    expect(trimmed.code, trimmed.out).toBe(0);
    d = await get();
    expect(d.metadata.labels).toEqual({ app: 'web' });
    expect(d.spec.template.spec.containers[0]!.env).toBeUndefined();

    const shown = await h.kubectl(['get', 'deployment', 'web', '-o', 'yaml', '--show-managed-fields']);
    expect(shown.stdout).toContain('managedFields:');
    expect(shown.stdout).toContain('manager: kubectl');
    expect((await h.kubectl(['get', 'deployment', 'web', '-o', 'yaml'])).stdout).not.toContain('managedFields:');
  });

  it('kubectl diff shows what an apply would change (server-side dry run), and changes nothing', async () => {
    const diff = await h.kubectl(['diff', '-f', '-'], deployment({ replicas: 5, label: false }));
    expect(diff.code, diff.out).toBe(1);
    expect(diff.out).toMatch(/-\s+replicas: 3/);
    expect(diff.out).toMatch(/\+\s+replicas: 5/);
    const ssaDiff = await h.kubectl(['diff', '--server-side', '--force-conflicts', '-f', '-'], deployment({ replicas: 4, label: false }));
    expect(ssaDiff.code, ssaDiff.out).toBe(1);
    expect(ssaDiff.out).toMatch(/\+\s+replicas: 4/);
    expect((await get()).spec.replicas).toBe(3);
  });

  it('a server-side apply over a client-side applied object takes over its fields (kubectl migrates the managers), and a Service keeps its allocated IP', async () => {
    const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: moved }\ndata: { mode: "${v}" }\n`;
    expect((await h.kubectl(['apply', '-f', '-'], cm('a'))).code).toBe(0);
    const ssa = await h.kubectl(['apply', '--server-side', '-f', '-'], cm('b'));
    expect(ssa.code, ssa.out).toBe(0);
    const got = parse((await h.kubectl(['get', 'configmap', 'moved', '-o', 'yaml', '--show-managed-fields'])).stdout) as { data: Record<string, string>; metadata: { managedFields: Managed[] } };
    expect(got.data).toEqual({ mode: 'b' });
    expect(got.metadata.managedFields.find((m) => m.operation === 'Apply')?.manager).toBe('kubectl');

    const svc = `apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec:\n  selector: { app: web }\n  ports: [{ port: 80, targetPort: 8080 }]\n`;
    expect((await h.kubectl(['apply', '--server-side', '-f', '-'], svc)).code).toBe(0);
    const ip = (await h.kubectl(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const again = await h.kubectl(['apply', '--server-side', '-f', '-'], svc.replace('8080', '8081'));
    expect(again.code, again.out).toBe(0);
    expect((await h.kubectl(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP} {.spec.ports[0].targetPort}'])).stdout).toBe(`${ip} 8081`);
  });

  it('--dry-run=server creates nothing; a cluster-scoped Namespace applies too', async () => {
    const ns = 'apiVersion: v1\nkind: Namespace\nmetadata: { name: applied, labels: { team: a } }\n';
    const dry = await h.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], ns);
    expect(dry.code, dry.out).toBe(0);
    expect(dry.out).toContain('namespace/applied serverside-applied (server dry run)');
    expect((await h.kubectl(['get', 'namespace', 'applied'])).code).not.toBe(0);
    expect((await h.kubectl(['apply', '--server-side', '-f', '-'], ns)).code).toBe(0);
    expect((await h.kubectl(['get', 'namespace', 'applied', '-o', 'jsonpath={.metadata.labels.team} {.status.phase}'])).stdout).toBe('a Active');
  });

  it('a client-side kubectl apply after a server-side one still works and records its manager', async () => {
    const csa = await h.kubectl(['apply', '-f', '-'], deployment({ replicas: 1, label: false, env: 'c' }));
    expect(csa.code, csa.out).toBe(0);
    const d = await get();
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.template.spec.containers[0]!.env).toEqual([{ name: 'MODE', value: 'c' }]);
    expect(d.metadata.managedFields.map((m) => `${m.manager}/${m.operation}`)).toEqual(expect.arrayContaining(['kubectl/Apply', 'kubectl-client-side-apply/Update']));
  });
});

/** Client-side apply: create, change, re-apply (nothing to do); create -f, replace -f and diff -f. */
import { expect } from 'vitest';
import { waitFor } from '../../e2e/support.js';
import { WEB_COMMAND, webManifests } from './manifests.js';
import type { Row } from './row.js';
import type { Scenario } from './scenario.js';

interface DeploymentJson {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion: string };
  spec: { replicas: number; template: { spec: { containers: { name: string; image: string; command?: string[] }[] } } };
}
interface ConfigMapJson {
  metadata: { resourceVersion: string };
  data?: Record<string, string>;
}

export const applyRows: Row[] = [
  {
    name: 'kubectl apply -f - (create)',
    args: ['apply', '-f', '-'],
    stdin: webManifests({ setting: 'one' }),
    async check(r, s) {
      expect(r.stdout).toContain('deployment.apps/web created');
      expect(r.stdout).toContain('configmap/web-settings created');
      const d = await s.json<DeploymentJson>(['deployment', 'web']);
      expect(d.spec.replicas).toBe(2);
      expect(d.spec.template.spec.containers[0]!.command).toEqual(WEB_COMMAND);
      expect(d.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain('"name":"web"');
    },
  },
  {
    name: 'kubectl rollout status deployment/web',
    args: ['rollout', 'status', 'deployment/web', '--timeout=60s'],
    async check(r, s) {
      expect(r.stdout).toContain('deployment "web" successfully rolled out');
      const pods = await s.livePods('app=web');
      expect(pods.map((p) => p.status?.phase)).toEqual(['Running', 'Running']);
    },
  },
  {
    name: 'kubectl apply -f - (changed)',
    args: ['apply', '-f', '-'],
    stdin: webManifests({ setting: 'two', tier: 'frontend' }),
    async check(r, s) {
      expect(r.stdout).toContain('deployment.apps/web configured');
      expect(r.stdout).toContain('configmap/web-settings configured');
      expect((await s.json<ConfigMapJson>(['configmap', 'web-settings'])).data).toEqual({ setting: 'two' });
      const d = await s.json<DeploymentJson>(['deployment', 'web']);
      expect(d.metadata.labels).toMatchObject({ app: 'web', tier: 'frontend' });
      s.memo.settingsVersion = (await s.json<ConfigMapJson>(['configmap', 'web-settings'])).metadata.resourceVersion;
    },
  },
  {
    name: 'kubectl apply -f - (again: unchanged)',
    args: ['apply', '-f', '-'],
    stdin: webManifests({ setting: 'two', tier: 'frontend' }),
    async check(r, s) {
      expect(r.stdout).toContain('deployment.apps/web unchanged');
      expect(r.stdout).toContain('configmap/web-settings unchanged');
      expect((await s.json<ConfigMapJson>(['configmap', 'web-settings'])).metadata.resourceVersion).toBe(s.memo.settingsVersion);
    },
  },
  {
    name: 'kubectl diff -f -',
    args: ['diff', '-f', '-'],
    stdin: webManifests({ setting: 'three', tier: 'frontend' }),
    async check(r, s) {
      // exit code 1: there are differences, printed as a unified diff; nothing is changed
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^-\s+setting: two$/m);
      expect(r.stdout).toMatch(/^\+\s+setting: three$/m);
      expect((await s.json<ConfigMapJson>(['configmap', 'web-settings'])).data).toEqual({ setting: 'two' });
    },
  },
  {
    name: 'kubectl create -f -',
    args: ['create', '-f', '-'],
    stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: extra, labels: { app: extra } }\ndata: { a: "1" }\n',
    async check(r, s) {
      expect(r.stdout).toContain('configmap/extra created');
      expect((await s.json<ConfigMapJson>(['configmap', 'extra'])).data).toEqual({ a: '1' });
    },
  },
  {
    name: 'kubectl replace -f -',
    args: ['replace', '-f', '-'],
    stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: extra, labels: { app: extra } }\ndata: { b: "2" }\n',
    async check(r, s) {
      expect(r.stdout).toContain('configmap/extra replaced');
      expect((await s.json<ConfigMapJson>(['configmap', 'extra'])).data).toEqual({ b: '2' });
    },
  },
  {
    name: 'kubectl expose deployment web --port=80 --target-port=8080',
    args: ['expose', 'deployment', 'web', '--port=80', '--target-port=8080'],
    async check(r, s) {
      expect(r.stdout).toBe('service/web exposed');
      const svc = await s.json<{ spec: { selector: Record<string, string>; clusterIP: string; ports: { port: number; targetPort: number }[] } }>(['service', 'web']);
      expect(svc.spec.selector).toEqual({ app: 'web' });
      expect(svc.spec.ports).toMatchObject([{ port: 80, targetPort: 8080 }]);
      expect(svc.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    },
  },
  {
    name: 'kubectl wait --for=condition=Available deployment/web',
    args: ['wait', '--for=condition=Available', 'deployment/web', '--timeout=60s'],
    async check(r, s) {
      expect(r.stdout).toContain('deployment.apps/web condition met');
      const d = await s.json<{ status: { conditions: { type: string; status: string }[] } }>(['deployment', 'web']);
      expect(d.status.conditions).toContainEqual(expect.objectContaining({ type: 'Available', status: 'True' }));
    },
  },
];

/** Waits until the Deployment has `count` pods, all on `image` and Running, none terminating. */
export async function podsSettled(s: Scenario, image: string, count: number): Promise<void> {
  await waitFor(`web's ${count} pods on ${image}`, async () => {
    const pods = await s.livePods('app=web');
    return pods.length === count && pods.every((p) => p.spec.containers[0]!.image === image && p.status?.phase === 'Running');
  }, 60_000);
}

/** label, annotate, patch (merge, json, strategic) and edit: each changes what it names and nothing else. */
import { expect } from 'vitest';
import { WEB_COMMAND } from './manifests.js';
import type { Row } from './row.js';
import type { Scenario } from './scenario.js';

interface DeploymentJson {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { replicas: number; template: { spec: { containers: { name: string; image: string; command?: string[]; env?: { name: string; value?: string }[] }[] } } };
}

const web = (s: Scenario) => s.json<DeploymentJson>(['deployment', 'web']);

export const metadataRows: Row[] = [
  {
    name: 'kubectl label deployment web owner=compat',
    args: ['label', 'deployment', 'web', 'owner=compat'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web labeled');
      expect((await web(s)).metadata.labels).toEqual({ app: 'web', tier: 'frontend', owner: 'compat' });
    },
  },
  {
    name: 'kubectl label deployment web owner=other (no --overwrite)',
    args: ['label', 'deployment', 'web', 'owner=other'],
    async check(r, s) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("'owner' already has a value (compat), and --overwrite is false");
      expect((await web(s)).metadata.labels?.owner).toBe('compat');
    },
  },
  {
    name: 'kubectl get deployments -l owner=compat,tier=frontend',
    args: ['get', 'deployments', '-l', 'owner=compat,tier=frontend', '-o', 'name'],
    check(r) {
      expect(r.stdout.trim()).toBe('deployment.apps/web');
    },
  },
  {
    name: 'kubectl label deployment web owner-',
    args: ['label', 'deployment', 'web', 'owner-'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web unlabeled');
      expect((await web(s)).metadata.labels).toEqual({ app: 'web', tier: 'frontend' });
    },
  },
  {
    name: 'kubectl annotate deployment web note=hello',
    args: ['annotate', 'deployment', 'web', 'note=hello'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web annotated');
      const a = (await web(s)).metadata.annotations ?? {};
      expect(a.note).toBe('hello');
      expect(a['kubectl.kubernetes.io/last-applied-configuration']).toBeDefined();
    },
  },
  {
    name: 'kubectl patch deployment web --type=merge',
    args: ['patch', 'deployment', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"patched":"merge"}}}'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web patched');
      expect((await web(s)).metadata.labels).toEqual({ app: 'web', tier: 'frontend', patched: 'merge' });
    },
  },
  {
    name: 'kubectl patch deployment web --type=json',
    args: ['patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"add","path":"/metadata/annotations/patched","value":"json"},{"op":"remove","path":"/metadata/labels/patched"}]'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web patched');
      const d = await web(s);
      expect(d.metadata.annotations?.patched).toBe('json');
      expect(d.metadata.labels).toEqual({ app: 'web', tier: 'frontend' });
    },
  },
  {
    name: 'kubectl patch deployment web (strategic: env added to container web)',
    args: ['patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"GREETING","value":"hi"}]}]}}}}'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web patched');
      const [c, ...others] = (await web(s)).spec.template.spec.containers;
      expect(others).toEqual([]);
      // merged into the container by its name: the command and image stay
      expect(c).toMatchObject({ name: 'web', command: WEB_COMMAND, env: [{ name: 'GREETING', value: 'hi' }] });
    },
  },
  {
    name: 'kubectl edit deployment web (KUBE_EDITOR sets replicas: 2)',
    args: ['edit', 'deployment', 'web'],
    // kubectl runs an editor with quotes in it through sh, the file's path appended; the first match is spec's
    env: { KUBE_EDITOR: 'sed -i -e "0,/^  replicas: 3$/s//  replicas: 2/"' },
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web edited');
      const d = await web(s);
      expect(d.spec.replicas).toBe(2);
      expect(d.spec.template.spec.containers[0]!.env).toEqual([{ name: 'GREETING', value: 'hi' }]);
    },
  },
];

/** A view token: it may read; kubectl create and delete get Forbidden, exit code 1 and Kubernetes' message. */
import { expect } from 'vitest';
import { FORBIDDEN_CONFIGMAP } from './manifests.js';
import type { Row } from './row.js';
import { rowsOf } from './table-text.js';

export const accessRows: Row[] = [
  {
    name: 'kubectl --context view get pods',
    args: ['--context', 'view', 'get', 'pods', '-l', 'app=web'],
    check(r) {
      expect(rowsOf(r.stdout).map((c) => c.slice(1, 3))).toEqual([['1/1', 'Running'], ['1/1', 'Running']]);
    },
  },
  {
    name: 'kubectl --context view create -f - (Forbidden)',
    args: ['--context', 'view', 'create', '-f', '-'],
    stdin: FORBIDDEN_CONFIGMAP,
    async check(r, s) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^Error from server \(Forbidden\): error when creating "STDIN": configmaps is forbidden: token "[^"]+" \(role view\) cannot create resource "configmaps" in namespace "default"$/m);
      const missing = await s.kubectl(['get', 'configmap', 'not-allowed']);
      expect(missing.stderr).toContain('configmaps "not-allowed" not found');
    },
  },
  {
    name: 'kubectl --context view delete deployment web (Forbidden)',
    args: ['--context', 'view', 'delete', 'deployment', 'web'],
    async check(r, s) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^Error from server \(Forbidden\): deployments "web" is forbidden: token "[^"]+" \(role view\) cannot delete resource "deployments" in namespace "default"$/m);
      expect((await s.json<{ metadata: { name: string } }>(['deployment', 'web'])).metadata.name).toBe('web');
    },
  },
];

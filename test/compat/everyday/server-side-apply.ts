/** Server-side apply: create, a conflict with another manager's change, --force-conflicts, the managers shown, diff. */
import { expect } from 'vitest';
import type { Row } from './row.js';

const settings = (data: Record<string, string>) => `apiVersion: v1
kind: ConfigMap
metadata: { name: ssa-settings }
data:
${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}
`;

interface ConfigMapJson {
  data?: Record<string, string>;
  metadata: { managedFields?: { manager: string; operation: string }[] };
}

export const serverSideApplyRows: Row[] = [
  {
    name: 'kubectl apply --server-side -f - (create)',
    args: ['apply', '--server-side', '-f', '-'],
    stdin: settings({ mode: 'a', level: '1' }),
    async check(r, s) {
      expect(r.stdout).toContain('configmap/ssa-settings serverside-applied');
      expect((await s.json<ConfigMapJson>(['configmap', 'ssa-settings'])).data).toEqual({ mode: 'a', level: '1' });
    },
  },
  {
    name: 'kubectl patch configmap (another manager takes data.mode)',
    args: ['patch', 'configmap', 'ssa-settings', '--type=merge', '-p', '{"data":{"mode":"b"}}'],
    async check(r, s) {
      expect(r.stdout).toContain('configmap/ssa-settings patched');
      expect((await s.json<ConfigMapJson>(['configmap', 'ssa-settings'])).data?.mode).toBe('b');
    },
  },
  {
    name: 'kubectl apply --server-side -f - (conflict: exit 1, the manager and field named)',
    args: ['apply', '--server-side', '-f', '-'],
    stdin: settings({ mode: 'c', level: '1' }),
    async check(r, s) {
      expect(r.code).not.toBe(0);
      expect(r.out).toContain('Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: .data.mode');
      expect((await s.json<ConfigMapJson>(['configmap', 'ssa-settings'])).data?.mode).toBe('b');
    },
  },
  {
    name: 'kubectl apply --server-side --force-conflicts -f - (a field left out is removed)',
    args: ['apply', '--server-side', '--force-conflicts', '-f', '-'],
    stdin: settings({ mode: 'c' }),
    async check(r, s) {
      expect(r.stdout).toContain('configmap/ssa-settings serverside-applied');
      const cm = await s.json<ConfigMapJson>(['configmap', 'ssa-settings']);
      expect(cm.data).toEqual({ mode: 'c' });
    },
  },
  {
    name: 'kubectl get configmap -o yaml --show-managed-fields',
    args: ['get', 'configmap', 'ssa-settings', '-o', 'yaml', '--show-managed-fields'],
    check(r) {
      expect(r.stdout).toContain('managedFields:');
      expect(r.stdout).toMatch(/manager: kubectl\n\s+operation: Apply/);
      expect(r.stdout).toContain('f:mode: {}');
    },
  },
  {
    name: 'kubectl diff --server-side -f - (exit 1, the diff; nothing stored)',
    args: ['diff', '--server-side', '-f', '-'],
    stdin: settings({ mode: 'd' }),
    async check(r, s) {
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/\+\s+mode: d/);
      expect((await s.json<ConfigMapJson>(['configmap', 'ssa-settings'])).data).toEqual({ mode: 'c' });
    },
  },
];

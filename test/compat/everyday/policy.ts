/** PodDisruptionBudgets: one over the web pods, as get pdb prints it (its status from the pods it covers), then deleted. */
import { expect } from 'vitest';
import { waitFor } from '../../e2e/support.js';
import type { Row } from './row.js';
import { rowNamed } from './table-text.js';

const WEB_PDB = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: web-pdb }
spec:
  maxUnavailable: 1
  selector:
    matchLabels: { app: web }
`;

export const policyRows: Row[] = [
  {
    name: 'kubectl get pdb',
    async before(s) {
      const applied = await s.kubectl(['apply', '-f', '-'], { stdin: WEB_PDB });
      if (applied.code !== 0) throw new Error(`apply web-pdb: ${applied.out}`);
      await waitFor('web-pdb status', async () => (await s.kubectl(['get', 'pdb', 'web-pdb', '-o', 'jsonpath={.status.expectedPods}'])).stdout === '2', 30_000, 500);
    },
    args: ['get', 'pdb'],
    check(r) {
      expect(rowNamed(r.stdout, 'web-pdb')).toMatchObject({ 'MIN AVAILABLE': 'N/A', 'MAX UNAVAILABLE': '1', 'ALLOWED DISRUPTIONS': '1' });
    },
  },
  {
    name: 'kubectl delete pdb web-pdb',
    args: ['delete', 'pdb', 'web-pdb'],
    async check(r, s) {
      expect(r.stdout).toBe('poddisruptionbudget.policy "web-pdb" deleted');
      expect((await s.kubectl(['get', 'pdb', 'web-pdb'])).stderr).toContain('poddisruptionbudgets.policy "web-pdb" not found');
    },
  },
];

/** The nodes' heartbeats as coordination.k8s.io Leases in kube-node-lease: listed, and read by describe node. */
import { expect } from 'vitest';
import type { Row } from './row.js';

export const leaseRows: Row[] = [
  {
    name: 'kubectl get leases -n kube-node-lease',
    args: ['get', 'leases', '-n', 'kube-node-lease'],
    check(r, s) {
      expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+HOLDER\s+AGE$/);
      // each node holds its own Lease
      for (const node of s.nodes) expect(r.stdout).toMatch(new RegExp(`^${node}\\s+${node}\\s+\\S+$`, 'm'));
    },
  },
  {
    name: 'kubectl describe node NODE (its Lease)',
    args: (s) => ['describe', 'node', s.nodes[1]],
    check(r, s) {
      expect(r.stdout).toMatch(new RegExp(`^Lease:\\n\\s+HolderIdentity:\\s+${s.nodes[1]}\\n\\s+AcquireTime:\\s+<unset>\\n\\s+RenewTime:\\s+\\w{3}, \\d{2} \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d`, 'm'));
      expect(r.out).not.toMatch(/Failed to get lease/);
      expect(r.stderr).toBe('');
    },
  },
];

/**
 * cordon, drain and uncordon: the node's spec.unschedulable, what get nodes prints of it, and drain's
 * evictions (policy/v1 Eviction sent as protobuf) of the pods on it, which come back on the other node.
 */
import { expect } from 'vitest';
import type { Row } from './row.js';
import type { Scenario } from './scenario.js';
import { rowNamed } from './table-text.js';

const unschedulable = async (s: Scenario, node: string) => (await s.json<{ spec: { unschedulable?: boolean } }>(['node', node])).spec.unschedulable ?? false;

export const nodeRows: Row[] = [
  {
    name: 'kubectl cordon NODE',
    args: (s) => ['cordon', s.nodes[1]],
    async check(r, s) {
      expect(r.stdout).toBe(`node/${s.nodes[1]} cordoned`);
      expect(await unschedulable(s, s.nodes[1])).toBe(true);
      const nodes = await s.kubectl(['get', 'nodes']);
      expect(rowNamed(nodes.stdout, s.nodes[1])?.STATUS).toBe('Ready,SchedulingDisabled');
    },
  },
  {
    name: 'kubectl drain NODE --ignore-daemonsets --delete-emptydir-data',
    args: (s) => ['drain', s.nodes[1], '--ignore-daemonsets', '--delete-emptydir-data', '--grace-period=1', '--timeout=90s'],
    async check(r, s) {
      expect(r.stdout).toContain(`node/${s.nodes[1]} drained`);
      const onNode = await s.kubectl(['get', 'pods', '-A', '--field-selector', `spec.nodeName=${s.nodes[1]}`, '-o', 'name']);
      expect(onNode.stdout.trim()).toBe('');
    },
  },
  {
    name: 'kubectl uncordon NODE',
    args: (s) => ['uncordon', s.nodes[1]],
    async check(r, s) {
      expect(r.stdout).toBe(`node/${s.nodes[1]} uncordoned`);
      expect(await unschedulable(s, s.nodes[1])).toBe(false);
    },
  },
];

/**
 * kubectl top, from metrics.k8s.io (NodeMetrics and PodMetrics from the agents' cgroup samples): the
 * first samples come some 15 s after the pods start, so each row waits (bounded) for them first.
 */
import { expect } from 'vitest';
import { waitFor } from '../../e2e/support.js';
import type { Row } from './row.js';
import type { Scenario } from './scenario.js';

const cells = (out: string, first: string): string[] | undefined =>
  out.split('\n').map((l) => l.trim().split(/\s+/)).find((c) => c[0] === first);

export const metricsRows: Row[] = [
  {
    name: 'kubectl top nodes',
    async before(s) {
      await waitFor('metrics of both nodes', async () => {
        const r = await s.kubectl(['top', 'nodes']);
        return r.code === 0 && s.nodes.every((n) => cells(r.stdout, n));
      }, 60_000, 1000);
    },
    args: ['top', 'nodes'],
    check(r, s) {
      expect(r.stdout.split('\n')[0]!.trim()).toMatch(/^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)$/);
      for (const node of s.nodes) {
        const [, cpu, cpuPct, mem, memPct] = cells(r.stdout, node)!;
        expect(cpu).toMatch(/^\d+m$/);
        expect(cpuPct).toMatch(/^\d+%$/);
        expect(Number(mem!.replace(/Mi$/, ''))).toBeGreaterThan(0);
        expect(memPct).toMatch(/^\d+%$/);
      }
    },
  },
  {
    name: 'kubectl top pods --containers',
    async before(s: Scenario) {
      const pods = (await s.livePods('app=web')).map((p) => p.metadata.name);
      s.memo.topPods = pods;
      await waitFor('metrics of both web pods', async () => {
        const r = await s.kubectl(['top', 'pods', '--containers']);
        return r.code === 0 && pods.every((p) => cells(r.stdout, p));
      }, 60_000, 1000);
    },
    args: ['top', 'pods', '--containers'],
    check(r, s) {
      expect(r.stdout.split('\n')[0]!.trim()).toMatch(/^POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)$/);
      for (const pod of s.memo.topPods as string[]) {
        const [, container, cpu, mem] = cells(r.stdout, pod)!;
        expect(container).toBe('web');
        expect(cpu).toMatch(/^\d+m$/);
        expect(mem).toMatch(/^\d+Mi$/);
      }
    },
  },
];

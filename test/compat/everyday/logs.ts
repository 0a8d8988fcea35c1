/** kubectl logs: a pod's last lines (--tail), and a Deployment's (kubectl picks one of its pods). */
import { expect } from 'vitest';
import { waitFor } from '../../e2e/support.js';
import type { Row } from './row.js';

export const logsRows: Row[] = [
  {
    name: 'kubectl logs POD --tail=2',
    async before(s) {
      const pod = (await s.livePods('app=web'))[0]!.metadata.name;
      s.memo.logPod = pod;
      // a line a second: wait until there are more than two
      await waitFor(`${pod} to log three lines`, async () => (await s.kubectl(['logs', pod])).stdout.split('\n').length >= 4, 30_000, 500);
    },
    args: (s) => ['logs', String(s.memo.logPod), '--tail=2'],
    check(r) {
      const lines = r.stdout.split('\n');
      expect(lines).toHaveLength(2);
      const [a, b] = lines.map((l) => Number(/^line (\d+)$/.exec(l)?.[1]));
      // the last two lines, in order
      expect(b).toBe(a! + 1);
    },
  },
  {
    name: 'kubectl logs deployment/web --tail=1',
    args: ['logs', 'deployment/web', '--tail=1'],
    check(r) {
      expect(r.stdout).toMatch(/^line \d+$/);
    },
  },
  {
    name: 'kubectl logs -l app=web --tail=1 --prefix',
    args: ['logs', '-l', 'app=web', '--tail=1', '--prefix'],
    async check(r, s) {
      const pods = (await s.livePods('app=web')).map((p) => p.metadata.name).sort();
      const lines = r.stdout.split('\n').sort();
      expect(lines).toHaveLength(2);
      lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^\\[pod/${pods[i]!}/web\\] (line \\d+|started)$`)));
    },
  },
];

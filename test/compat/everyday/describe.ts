/** kubectl describe: a node and a pod, with their Events sections (events found by involvedObject field selectors). */
import { expect } from 'vitest';
import { waitFor } from '../../e2e/support.js';
import type { Row } from './row.js';

export const describeRows: Row[] = [
  {
    name: 'kubectl describe node NODE',
    args: (s) => ['describe', 'node', s.nodes[0]],
    check(r, s) {
      expect(r.stdout).toMatch(new RegExp(`^Name:\\s+${s.nodes[0]}$`, 'm'));
      expect(r.stdout).toMatch(/^\s+Ready\s+True\s/m);
      expect(r.stdout).toMatch(/^Non-terminated Pods:\s+\(\d+ in total\)$/m);
      expect(r.stdout).toMatch(/^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message$/m);
      expect(r.stdout).toMatch(new RegExp(`Normal\\s+NodeReady\\s+.*Node ${s.nodes[0]} status is now: NodeReady`));
    },
  },
  {
    name: 'kubectl describe pod POD',
    async before(s) {
      // the agent's events (Started) come with its next pod status report
      s.memo.describedPod = await waitFor('a web pod with its Started event', async () => {
        const events = await s.json<{ items: { reason: string; involvedObject: { name: string } }[] }>(['events', '--field-selector', 'involvedObject.kind=Pod,reason=Started']);
        const live = new Set((await s.livePods('app=web')).map((p) => p.metadata.name));
        return events.items.map((e) => e.involvedObject.name).find((n) => live.has(n));
      }, 30_000);
    },
    args: (s) => ['describe', 'pod', String(s.memo.describedPod)],
    check(r, s) {
      expect(r.stdout).toMatch(new RegExp(`^Name:\\s+${String(s.memo.describedPod)}$`, 'm'));
      expect(r.stdout).toMatch(/^Controlled By:\s+ReplicaSet\/web-\S+$/m);
      expect(r.stdout).toMatch(/^Status:\s+Running$/m);
      expect(r.stdout).toMatch(/^Events:$/m);
      expect(r.stdout).toMatch(new RegExp(`Normal\\s+Scheduled\\s+.*Successfully assigned default/${String(s.memo.describedPod)} to evd-`));
      expect(r.stdout).toMatch(/Normal\s+Started\s+.*Started container web/);
    },
  },
  {
    name: 'kubectl describe deployment web',
    args: ['describe', 'deployment', 'web'],
    check(r) {
      expect(r.stdout).toMatch(/^Replicas:\s+3 desired \| 3 updated \| 3 total \| \d available \| \d unavailable$/m);
      expect(r.stdout).toMatch(/^NewReplicaSet:\s+web-\S+ \(3\/3 replicas created\)$/m);
      expect(r.stdout).toMatch(/Normal\s+ScalingReplicaSet\s+.*Scaled up replica set web-\S+ to 3/);
    },
  },
];

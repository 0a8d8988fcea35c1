/** kubectl delete: -f, by label, --now (the deletion's grace, not the spec's hour), --grace-period=0 --force, a Deployment with what it owns. */
import { expect } from 'vitest';
import { TEST_IMAGE, waitFor } from '../../e2e/support.js';
import { SETTINGS_MANIFEST } from './manifests.js';
import type { Row } from './row.js';
import type { Scenario } from './scenario.js';

const exists = async (s: Scenario, what: string[]) => (await s.kubectl(['get', ...what, '-o', 'name'])).code === 0;

export const deleteRows: Row[] = [
  {
    name: 'kubectl delete -f -',
    args: ['delete', '-f', '-'],
    stdin: SETTINGS_MANIFEST,
    async check(r, s) {
      expect(r.stdout).toBe('configmap "web-settings" deleted');
      const gone = await s.kubectl(['get', 'configmap', 'web-settings']);
      expect(gone.stderr).toContain('configmaps "web-settings" not found');
    },
  },
  {
    name: 'kubectl delete configmaps -l app=extra',
    args: ['delete', 'configmaps', '-l', 'app=extra'],
    async check(r, s) {
      expect(r.stdout).toBe('configmap "extra" deleted');
      expect(await exists(s, ['configmap', 'extra'])).toBe(false);
    },
  },
  {
    name: 'kubectl run sleeper --restart=Never --overrides=... -- sleep 3600',
    args: [
      'run', 'sleeper', `--image=${TEST_IMAGE}`, '--image-pull-policy=Never', '--restart=Never', '--labels=app=sleeper',
      '--overrides={"spec":{"terminationGracePeriodSeconds":3600}}', '--', 'sleep', '3600',
    ],
    async check(r, s) {
      expect(r.stdout).toBe('pod/sleeper created');
      const pod = await waitFor('sleeper Running', async () => {
        const [p] = await s.livePods('app=sleeper');
        return p?.status?.phase === 'Running' ? p : undefined;
      }, 60_000);
      expect(pod.spec.containers[0]).toMatchObject({ image: TEST_IMAGE, args: ['sleep', '3600'] });
      expect((pod.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds).toBe(3600);
    },
  },
  {
    // sleep as PID 1 ignores SIGTERM and the pod's own grace is an hour: kubectl waits for the deletion,
    // so this returns only if the agent stops the pod with the one second --now asks for
    name: 'kubectl delete pod sleeper --now',
    args: ['delete', 'pod', 'sleeper', '--now'],
    async check(r, s) {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('pod "sleeper" deleted');
      expect(await exists(s, ['pod', 'sleeper'])).toBe(false);
    },
  },
  {
    name: 'kubectl delete pods -l app=web',
    async before(s) {
      s.memo.deletedByLabel = (await s.livePods('app=web')).map((p) => p.metadata.name).sort();
    },
    args: ['delete', 'pods', '-l', 'app=web'],
    async check(r, s) {
      const names = s.memo.deletedByLabel as string[];
      expect(names).toHaveLength(2);
      expect(r.stdout.split('\n').sort()).toEqual(names.map((n) => `pod "${n}" deleted`));
      // gone, and the ReplicaSet made new ones
      await waitFor('two new web pods', async () => {
        const now = (await s.livePods('app=web')).map((p) => p.metadata.name);
        return now.length === 2 && now.every((n) => !names.includes(n));
      }, 60_000);
      for (const n of names) expect(await exists(s, ['pod', n])).toBe(false);
    },
  },
  {
    name: 'kubectl delete pod POD --grace-period=0 --force',
    async before(s) {
      s.memo.forced = (await s.livePods('app=web'))[0]!.metadata.name;
    },
    args: (s) => ['delete', 'pod', String(s.memo.forced), '--grace-period=0', '--force'],
    async check(r, s) {
      expect(r.stderr).toContain('Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated.');
      expect(r.stdout).toBe(`pod "${String(s.memo.forced)}" force deleted`);
      // removed at once, not marked terminating
      expect(await exists(s, ['pod', String(s.memo.forced)])).toBe(false);
    },
  },
  {
    name: 'kubectl delete service web',
    args: ['delete', 'service', 'web'],
    async check(r, s) {
      expect(r.stdout).toBe('service "web" deleted');
      expect(await exists(s, ['service', 'web'])).toBe(false);
    },
  },
  {
    name: 'kubectl delete deployment web',
    args: ['delete', 'deployment', 'web'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps "web" deleted');
      expect(await exists(s, ['deployment', 'web'])).toBe(false);
      // what it owned goes with it (garbage collection): its ReplicaSets and their pods
      await waitFor('web ReplicaSets and pods gone', async () => {
        const rs = await s.json<{ items: unknown[] }>(['replicasets', '-l', 'app=web']);
        const pods = await s.json<{ items: unknown[] }>(['pods', '-l', 'app=web']);
        return rs.items.length === 0 && pods.items.length === 0;
      }, 60_000);
    },
  },
];

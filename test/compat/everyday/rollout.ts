/** scale, set image (the command survives), rollout status / history / undo / restart. */
import { expect } from 'vitest';
import { TEST_IMAGE } from '../../e2e/support.js';
import { podsSettled } from './apply.js';
import { WEB_COMMAND } from './manifests.js';
import type { Row } from './row.js';
import type { Scenario } from './scenario.js';
import { headerOf, rowsOf } from './table-text.js';

const NEW_IMAGE = 'registry.local/nginx:1.27';

interface DeploymentJson {
  spec: { replicas: number; template: { metadata?: { annotations?: Record<string, string> }; spec: { containers: { name: string; image: string; command?: string[]; env?: unknown[] }[] } } };
}
interface ReplicaSetJson {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
}

const web = (s: Scenario) => s.json<DeploymentJson>(['deployment', 'web']);
const revisions = (out: string): number[] => rowsOf(out.slice(out.indexOf('REVISION'))).map((c) => Number(c[0]));
const replicaSets = async (s: Scenario) => (await s.json<{ items: ReplicaSetJson[] }>(['replicasets', '-l', 'app=web'])).items;

export const rolloutRows: Row[] = [
  {
    name: 'kubectl rollout status deployment/web (after the strategic patch)',
    args: ['rollout', 'status', 'deployment/web', '--timeout=60s'],
    async check(r, s) {
      expect(r.stdout).toContain('deployment "web" successfully rolled out');
      await podsSettled(s, TEST_IMAGE, 2);
      const pods = await s.livePods('app=web');
      expect(pods.map((p) => p.spec.containers[0]!.env)).toEqual([[{ name: 'GREETING', value: 'hi' }], [{ name: 'GREETING', value: 'hi' }]]);
    },
  },
  {
    name: 'kubectl scale deployment web --replicas=1',
    args: ['scale', 'deployment', 'web', '--replicas=1'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web scaled');
      expect((await web(s)).spec.replicas).toBe(1);
      await podsSettled(s, TEST_IMAGE, 1);
    },
  },
  {
    name: 'kubectl scale deployment web --current-replicas=1 --replicas=2',
    args: ['scale', 'deployment', 'web', '--current-replicas=1', '--replicas=2'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web scaled');
      expect((await web(s)).spec.replicas).toBe(2);
      await podsSettled(s, TEST_IMAGE, 2);
    },
  },
  {
    name: 'kubectl set image deployment/web web=IMAGE',
    args: ['set', 'image', 'deployment/web', `web=${NEW_IMAGE}`],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web image updated');
      const [c] = (await web(s)).spec.template.spec.containers;
      // the strategic merge patch changes the image and keeps the rest of the container
      expect(c).toMatchObject({ name: 'web', image: NEW_IMAGE, command: WEB_COMMAND, env: [{ name: 'GREETING', value: 'hi' }] });
    },
  },
  {
    name: 'kubectl rollout status deployment/web (after set image)',
    args: ['rollout', 'status', 'deployment/web', '--timeout=60s'],
    async check(r, s) {
      expect(r.stdout).toMatch(/Waiting for deployment "web" rollout to finish/);
      expect(r.stdout).toContain('deployment "web" successfully rolled out');
      await podsSettled(s, NEW_IMAGE, 2);
    },
  },
  {
    name: 'kubectl rollout history deployment/web',
    args: ['rollout', 'history', 'deployment/web'],
    check(r) {
      expect(r.stdout).toMatch(/^deployment\.apps\/web\s*$/m);
      expect(headerOf(r.stdout.slice(r.stdout.indexOf('REVISION')))).toEqual(['REVISION', 'CHANGE-CAUSE']);
      // created, the strategic patch, set image
      expect(revisions(r.stdout)).toEqual([1, 2, 3]);
    },
  },
  {
    name: 'kubectl rollout history deployment/web --revision=1',
    args: ['rollout', 'history', 'deployment/web', '--revision=1'],
    check(r) {
      expect(r.stdout).toContain('deployment.apps/web with revision #1');
      expect(r.stdout).toMatch(new RegExp(`^\\s+Image:\\s+${TEST_IMAGE.replace(/\./g, '\\.')}$`, 'm'));
      expect(r.stdout).not.toContain('GREETING');
    },
  },
  {
    name: 'kubectl rollout undo deployment/web',
    args: ['rollout', 'undo', 'deployment/web'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web rolled back');
      const [c] = (await web(s)).spec.template.spec.containers;
      expect(c).toMatchObject({ image: TEST_IMAGE, command: WEB_COMMAND, env: [{ name: 'GREETING', value: 'hi' }] });
      await podsSettled(s, TEST_IMAGE, 2);
      // revision 2's ReplicaSet runs again as revision 4: no new ReplicaSet, revision 2 is gone from the history
      const sets = await replicaSets(s);
      expect(sets).toHaveLength(3);
      const current = sets.find((rs) => rs.spec.replicas === 2)!;
      expect(current.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '4', 'deployment.kubernetes.io/revision-history': '2' });
      const history = await s.kubectl(['rollout', 'history', 'deployment/web']);
      expect(revisions(history.stdout)).toEqual([1, 3, 4]);
    },
  },
  {
    name: 'kubectl rollout restart deployment/web',
    args: ['rollout', 'restart', 'deployment/web'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web restarted');
      const restartedAt = (await web(s)).spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
      expect(restartedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      s.memo.restartedAt = restartedAt;
    },
  },
  {
    name: 'kubectl rollout status deployment/web (after restart)',
    args: ['rollout', 'status', 'deployment/web', '--timeout=60s'],
    async check(r, s) {
      expect(r.stdout).toContain('deployment "web" successfully rolled out');
      await podsSettled(s, TEST_IMAGE, 2);
      const pods = await s.livePods('app=web');
      // new pods, from the restarted template
      expect(pods.map((p) => p.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'])).toEqual([s.memo.restartedAt, s.memo.restartedAt]);
      const history = await s.kubectl(['rollout', 'history', 'deployment/web']);
      expect(revisions(history.stdout)).toEqual([1, 3, 4, 5]);
    },
  },
  {
    name: 'kubectl rollout pause deployment/web',
    args: ['rollout', 'pause', 'deployment/web'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web paused');
      expect((await s.json<{ spec: { paused?: boolean } }>(['deployment', 'web'])).spec.paused).toBe(true);
      s.memo.replicaSetsPaused = (await replicaSets(s)).length;
    },
  },
  {
    name: 'kubectl set env deployment/web MODE=paused (while paused)',
    args: ['set', 'env', 'deployment/web', 'MODE=paused'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web env updated');
      expect((await web(s)).spec.template.spec.containers[0]!.env).toEqual([{ name: 'GREETING', value: 'hi' }, { name: 'MODE', value: 'paused' }]);
      // paused: no new ReplicaSet for the changed template
      expect((await replicaSets(s)).length).toBe(s.memo.replicaSetsPaused);
    },
  },
  {
    name: 'kubectl rollout resume deployment/web',
    args: ['rollout', 'resume', 'deployment/web'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/web resumed');
      expect((await s.json<{ spec: { paused?: boolean } }>(['deployment', 'web'])).spec.paused).toBeFalsy();
    },
  },
  {
    name: 'kubectl rollout status deployment/web (after resume)',
    args: ['rollout', 'status', 'deployment/web', '--timeout=60s'],
    async check(r, s) {
      expect(r.stdout).toContain('deployment "web" successfully rolled out');
      await podsSettled(s, TEST_IMAGE, 2);
      const pods = await s.livePods('app=web');
      expect(pods.map((p) => p.spec.containers[0]!.env?.find((e) => e.name === 'MODE')?.value)).toEqual(['paused', 'paused']);
    },
  },
];

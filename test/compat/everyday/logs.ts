/**
 * kubectl logs: a pod's last lines (--tail), a Deployment's (kubectl picks one of its pods), and a crashing
 * pod's previous instance (--previous; also through `drover logs --previous`), refused as the kubelet
 * refuses it for a pod that never restarted.
 */
import { execa } from 'execa';
import { expect } from 'vitest';
import { DROVER, TEST_IMAGE, waitFor } from '../../e2e/support.js';
import type { Row } from './row.js';
import type { PodJson, Scenario } from './scenario.js';

/** A pod whose container counts its starts in an emptyDir, prints `start N`, and exits 1 a second later. */
const CRASHER_MANIFEST = `apiVersion: v1
kind: Pod
metadata:
  name: crasher
  labels: { app: crasher }
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  volumes:
    - name: state
      emptyDir: {}
  containers:
    - name: crasher
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", "n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; echo start $n; sleep 1; exit 1"]
      volumeMounts:
        - { name: state, mountPath: /state }
`;

interface CrasherJson {
  status?: { containerStatuses?: { restartCount: number }[] };
}

const restartsOf = async (s: Scenario): Promise<number> => (await s.json<CrasherJson>(['pod', 'crasher'])).status?.containerStatuses?.[0]?.restartCount ?? 0;

/** The instance number a `start N` log names. */
function startNumber(text: string): number {
  const m = /^start (\d+)$/.exec(text.trim());
  expect(m, `a "start N" line, not ${JSON.stringify(text)}`).not.toBeNull();
  return Number(m![1]);
}

/**
 * The previous instance is the restartCount-th start (the first start is 1, the running or backing-off one
 * restartCount+1); a restart may fall between the command and reading the count, hence the range.
 */
async function expectPreviousInstance(text: string, s: Scenario, before: number): Promise<void> {
  const n = startNumber(text);
  expect(n).toBeGreaterThanOrEqual(before);
  expect(n).toBeLessThanOrEqual(await restartsOf(s));
}

export const logsRows: Row[] = [
  {
    name: 'kubectl logs POD --tail=2',
    async before(s) {
      // the crasher starts now, so its first back-off passes while the rows before its own run
      const applied = await s.kubectl(['apply', '-f', '-'], { stdin: CRASHER_MANIFEST });
      expect(applied.code, applied.out).toBe(0);
      // kubectl (as against Kubernetes) may pick a pod the rollout rows left terminating: wait until they are gone
      await waitFor('the web pods settled (none terminating, all Running)', async () => {
        const all = (await s.json<{ items: PodJson[] }>(['pods', '-l', 'app=web'])).items;
        return all.length > 0 && all.every((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running');
      }, 60_000, 200);
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
    // kubectl, as against Kubernetes, also reads pods still terminating: wait until the rollout's old pods are gone
    async before(s) {
      await waitFor('no terminating web pod left', async () => {
        const all = (await s.json<{ items: unknown[] }>(['pods', '-l', 'app=web'])).items.length;
        return all === (await s.livePods('app=web')).length;
      }, 60_000, 200);
    },
    args: ['logs', '-l', 'app=web', '--tail=1', '--prefix'],
    async check(r, s) {
      const pods = (await s.livePods('app=web')).map((p) => p.metadata.name).sort();
      const lines = r.stdout.split('\n').sort();
      expect(lines).toHaveLength(2);
      lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^\\[pod/${pods[i]!}/web\\] (line \\d+|started)$`)));
    },
  },
  {
    name: 'kubectl logs POD --previous (no previous instance)',
    args: (s) => ['logs', String(s.memo.logPod), '--previous'],
    check(r, s) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`previous terminated container "web" in pod "${String(s.memo.logPod)}" not found`);
    },
  },
  {
    name: 'kubectl logs crasher --previous',
    async before(s) {
      // exits after a second, then the kubelet's 10 s back-off before its first restart
      s.memo.crasherRestarts = await waitFor('crasher to restart', async () => {
        const n = await restartsOf(s);
        return n >= 1 ? n : undefined;
      }, 90_000, 500);
    },
    args: ['logs', 'crasher', '--previous'],
    async check(r, s) {
      expect(r.code, r.out).toBe(0);
      await expectPreviousInstance(r.stdout, s, Number(s.memo.crasherRestarts));
      // the current instance printed the next number (running, or exited and backing off)
      const current = await s.kubectl(['logs', 'crasher']);
      expect(startNumber(current.stdout)).toBeGreaterThan(startNumber(r.stdout));
      // the drover CLI asks the same API with the same kubeconfig
      const cli = await execa('node', [DROVER, 'logs', 'crasher', '--previous', '--kubeconfig', s.kubeconfig], { reject: false, env: { HOME: s.dir } });
      expect(cli.exitCode, cli.stderr).toBe(0);
      await expectPreviousInstance(cli.stdout, s, Number(s.memo.crasherRestarts));
    },
  },
  {
    name: 'kubectl delete pod crasher --now',
    args: ['delete', 'pod', 'crasher', '--now'],
    check(r) {
      expect(r.stdout).toBe('pod "crasher" deleted');
    },
  },
];

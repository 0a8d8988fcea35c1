/**
 * Jobs end to end: a real `drover hub` and a real agent on containerd. A Job of completions 5 /
 * parallelism 2 whose pods `sh -c 'exit 0'` completes with exactly 5 succeeded pods, never more than 2
 * at once (`drover wait --for=condition=complete`); a failing Job stops at backoffLimit with
 * BackoffLimitExceeded, its pods Failed with exit code 3 (restartPolicy Never: not restarted); an Indexed
 * Job's pods see JOB_COMPLETION_INDEX (in their logs); and kubectl 1.32's `create job --from=cronjob/X`
 * and `wait --for=condition=complete` against the hub.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlBinary } from '../compat/support.js';
import { cleanup, removeNodeContainers, startAgent, startHub, TEST_IMAGE, waitFor, type Proc, type TestHub } from './support.js';

const NODE = 'jobs-e2e-ctr';

function jobManifest(name: string, spec: string, command: string): string {
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${spec}  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: ${TEST_IMAGE}
        imagePullPolicy: Never
        command: ["sh", "-c", ${JSON.stringify(command)}]
`;
}

interface PodJson {
  metadata: { name: string; annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] };
  status?: { phase?: string; containerStatuses?: { restartCount: number; state?: { terminated?: { exitCode: number; reason?: string } } }[] };
}
interface JobJson {
  status?: { succeeded?: number; failed?: number; active?: number; completedIndexes?: string; conditions?: { type: string; status: string; reason?: string }[] };
}

describe('Jobs (real hub, containerd agent)', () => {
  let hub: TestHub;
  let agent: Proc;
  const podsOf = async (job: string): Promise<PodJson[]> =>
    (await hub.json<{ items: PodJson[] }>(['get', 'pods'])).items.filter((p) => p.metadata.ownerReferences?.some((r) => r.kind === 'Job' && r.name === job));

  beforeAll(async () => {
    hub = await startHub();
    const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
    agent = await startAgent(hub, NODE, 'containerd', token.trim());
    await waitFor('the node Ready', async () => {
      const list = await hub.json<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'nodes']);
      return list.items.some((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }, 180_000);
  }, 240_000);

  afterAll(async () => {
    await agent?.stop();
    await hub?.stop();
    await removeNodeContainers([NODE]);
    if (hub) await cleanup(hub.dir);
  });

  it('completions 5 / parallelism 2 runs exactly 5 successful pods, at most 2 at once', async () => {
    await hub.cli(['apply', '-f', '-'], { input: jobManifest('jobs-five', '  completions: 5\n  parallelism: 2\n  backoffLimit: 3\n', 'sleep 1; exit 0') });
    let most = 0;
    const watching = (async () => {
      for (;;) {
        const pods = await podsOf('jobs-five');
        most = Math.max(most, pods.filter((p) => p.status?.phase === 'Pending' || p.status?.phase === 'Running').length);
        if (pods.filter((p) => p.status?.phase === 'Succeeded').length >= 5) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const waited = await hub.cli(['wait', '--for=condition=complete', 'job/jobs-five', '--timeout=180s']);
    expect(waited.stdout.trim()).toBe('job.batch/jobs-five condition met');
    await watching;
    const pods = await podsOf('jobs-five');
    expect(pods).toHaveLength(5);
    expect(pods.every((p) => p.status?.phase === 'Succeeded')).toBe(true);
    expect(pods[0]!.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(most).toBeLessThanOrEqual(2);
    const job = await hub.json<JobJson>(['get', 'job', 'jobs-five']);
    expect(job.status).toMatchObject({ succeeded: 5 });
    const table = await hub.cli(['get', 'jobs']);
    expect(table.stdout).toMatch(/NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE/);
    expect(table.stdout).toMatch(/jobs-five\s+Complete\s+5\/5/);
  }, 240_000);

  it('a failing Job stops at backoffLimit with BackoffLimitExceeded; its pods fail with their exit code and are not restarted', async () => {
    await hub.cli(['apply', '-f', '-'], { input: jobManifest('jobs-fail', '  backoffLimit: 1\n', 'exit 3') });
    const job = await waitFor('Failed', async () => {
      const j = await hub.json<JobJson>(['get', 'job', 'jobs-fail']);
      return j.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') ? j : undefined;
    }, 180_000, 500);
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(job.status?.failed).toBe(2);
    const pods = await podsOf('jobs-fail');
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.status?.phase).toBe('Failed');
      expect(p.status?.containerStatuses?.[0]).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 3, reason: 'Error' } } });
    }
  }, 240_000);

  it("an Indexed Job's pods see their index", async () => {
    await hub.cli(['apply', '-f', '-'], { input: jobManifest('jobs-idx', '  completions: 3\n  parallelism: 3\n  completionMode: Indexed\n', 'echo "index=$JOB_COMPLETION_INDEX"') });
    await hub.cli(['wait', '--for=condition=complete', 'job/jobs-idx', '--timeout=180s']);
    const pods = await podsOf('jobs-idx');
    const seen: string[] = [];
    for (const p of pods) {
      const logs = await hub.cli(['logs', p.metadata.name]);
      expect(logs.stdout.trim()).toBe(`index=${p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']}`);
      seen.push(logs.stdout.trim());
    }
    expect(seen.sort()).toEqual(['index=0', 'index=1', 'index=2']);
    expect((await hub.json<JobJson>(['get', 'job', 'jobs-idx'])).status?.completedIndexes).toBe('0-2');
  }, 240_000);

  it('kubectl 1.32: create job --from=cronjob/X runs the CronJob\'s template now; wait --for=condition=complete', async () => {
    await hub.cli(['apply', '-f', '-'], {
      input: `apiVersion: batch/v1
kind: CronJob
metadata:
  name: jobs-upload
spec:
  schedule: "0 3 * * *"
  timeZone: Europe/Berlin
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: upload
            image: ${TEST_IMAGE}
            imagePullPolicy: Never
            command: ["sh", "-c", "echo uploaded"]
`,
    });
    const kubeconfig = join(hub.dir, 'kubeconfig');
    await writeFile(kubeconfig, (await hub.cli(['kubeconfig'])).stdout);
    const kubectl = (args: string[]) => execa(kubectlBinary(), ['--kubeconfig', kubeconfig, ...args], { timeout: 150_000 });
    const created = await kubectl(['create', 'job', '--from=cronjob/jobs-upload', 'jobs-upload-now']);
    expect(created.stdout.trim()).toBe('job.batch/jobs-upload-now created');
    const waited = await kubectl(['wait', '--for=condition=complete', 'job/jobs-upload-now', '--timeout=120s']);
    expect(waited.stdout.trim()).toBe('job.batch/jobs-upload-now condition met');
    const resources = await kubectl(['api-resources', '--api-group=batch']);
    expect(resources.stdout).toMatch(/^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/m);
    expect(resources.stdout).toMatch(/^jobs\s+batch\/v1\s+true\s+Job$/m);
    const jobs = await kubectl(['get', 'jobs']);
    expect(jobs.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
    expect(jobs.stdout).toMatch(/^jobs-upload-now\s+Complete\s+1\/1\s+\d+s\s+\d+s$/m);
    const table = await kubectl(['get', 'cronjobs']);
    expect(table.stdout).toMatch(/jobs-upload\s+0 3 \* \* \*\s+Europe\/Berlin\s+False\s+0\s+<none>/);
    // drover's own form of the same
    expect((await hub.cli(['create', 'job', '--from=cronjob/jobs-upload', 'jobs-upload-drover'])).stdout.trim()).toBe('job.batch/jobs-upload-drover created');
    await hub.cli(['wait', '--for=condition=complete', 'job/jobs-upload-drover', '--timeout=120s']);
    const both = await hub.cli(['get', 'jobs,cronjobs']);
    expect(both.stdout).toMatch(/jobs-upload-drover\s+Complete\s+1\/1/);
    expect(both.stdout).toMatch(/jobs-upload\s+0 3 \* \* \*/);
  }, 240_000);
});

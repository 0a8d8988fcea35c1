import { afterEach, describe, expect, it } from 'vitest';
import type { Event, Job, Pod } from '../../../protocol/index.js';
import { defaultJob } from '../../../protocol/job-defaults.js';
import { createJobController } from '../../../hub/controllers/job/job-controller.js';
import { createGarbageCollector } from '../../../hub/controllers/garbage-collector.js';
import { failureBackoffMs } from '../../../hub/controllers/job/job-state.js';
import { formatIndexes, parseIndexes } from '../../../hub/controllers/job/indexes.js';
import { kubeTimestamp } from '../../../protocol/time.js';
import { harness, podsIn, until, type Harness } from './workload-support.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

function job(name: string, spec: Partial<Job['spec']> = {}, restartPolicy: 'Never' | 'OnFailure' = 'Never'): Job {
  return defaultJob({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: { template: { spec: { restartPolicy, containers: [{ name: 'main', image: 'registry.local/busybox:1' }] } }, ...spec },
  });
}

const getJob = async (h: Harness, name: string): Promise<Job> => (await h.store.get<Job>({ kind: 'Job', namespace: 'default', name }))!;
const podsOf = async (h: Harness, name: string): Promise<Pod[]> => (await podsIn(h.store)).filter((p) => p.metadata.ownerReferences?.some((r) => r.kind === 'Job' && r.name === name));
const running = (pods: Pod[]): Pod[] => pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
const condition = (j: Job, type: string) => j.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** What an agent reports when the pod's container exits with `exitCode`. */
async function finish(h: Harness, pod: Pod, exitCode: number): Promise<void> {
  const cur = (await h.store.get<Pod>({ kind: 'Pod', namespace: 'default', name: pod.metadata.name }))!;
  const at = kubeTimestamp(h.now());
  await h.store.update<Pod>({
    ...cur,
    spec: { ...cur.spec, nodeName: cur.spec.nodeName ?? 'job-node' },
    status: {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: at }],
      containerStatuses: [
        { name: 'main', ready: false, restartCount: 0, image: 'registry.local/busybox:1', state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: at } } },
      ],
    },
  });
}

const reasons = async (h: Harness): Promise<string[]> => (await h.store.list<Event>('Event')).items.map((e) => `${e.reason}: ${e.message}`);

describe('Job controller', () => {
  it('runs completions 5 with parallelism 2: never more than 2 at once, then Complete with its events', async () => {
    h = await harness('job-par-');
    await h.run(createJobController);
    const created = await h.store.create(job('job-five', { completions: 5, parallelism: 2 }));
    let succeeded = 0;
    let most = 0;
    while (succeeded < 5) {
      await until('pods to run', async () => running(await podsOf(h!, 'job-five')).length > 0);
      const now = running(await podsOf(h, 'job-five'));
      most = Math.max(most, now.length);
      expect(now.length).toBeLessThanOrEqual(2);
      await finish(h, now[0]!, 0);
      succeeded++;
      await until(`succeeded ${succeeded}`, async () => ((await getJob(h!, 'job-five')).status?.succeeded ?? 0) === succeeded);
    }
    expect(most).toBe(2);
    await until('Complete', async () => condition(await getJob(h!, 'job-five'), 'Complete') !== undefined);
    const j = await getJob(h, 'job-five');
    expect(condition(j, 'SuccessCriteriaMet')?.reason).toBe('CompletionsReached');
    expect(condition(j, 'Complete')).toMatchObject({ reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' });
    expect(j.status).toMatchObject({ succeeded: 5, ready: 0, terminating: 0 });
    expect(j.status?.completionTime).toBeDefined();
    expect(j.status?.startTime).toBeDefined();
    const pods = await podsOf(h, 'job-five');
    expect(pods).toHaveLength(5); // finished pods are kept for their logs
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^job-five-[a-z0-9]{5}$/);
      expect(p.metadata.labels).toMatchObject({ 'batch.kubernetes.io/controller-uid': created.metadata.uid, 'batch.kubernetes.io/job-name': 'job-five', 'job-name': 'job-five' });
    }
    expect(await reasons(h)).toContain('Completed: Job completed');
  });

  it('fails at backoffLimit with BackoffLimitExceeded, waiting the pod failure back-off between attempts', async () => {
    h = await harness('job-fail-');
    await h.run(createJobController);
    await h.store.create(job('job-bad', { backoffLimit: 1 }));
    await until('first pod', async () => running(await podsOf(h!, 'job-bad')).length === 1);
    await finish(h, running(await podsOf(h, 'job-bad'))[0]!, 3);
    await until('failed 1', async () => (await getJob(h!, 'job-bad')).status?.failed === 1);
    // back-off: no new pod for 10 s
    await new Promise((r) => setTimeout(r, 400));
    expect(running(await podsOf(h, 'job-bad'))).toHaveLength(0);
    h.advance(10_000);
    await until('second pod after the back-off', async () => running(await podsOf(h!, 'job-bad')).length === 1);
    await finish(h, running(await podsOf(h, 'job-bad'))[0]!, 3);
    await until('Failed', async () => condition(await getJob(h!, 'job-bad'), 'Failed') !== undefined);
    const j = await getJob(h, 'job-bad');
    expect(condition(j, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(condition(j, 'FailureTarget')?.reason).toBe('BackoffLimitExceeded');
    expect(j.status?.failed).toBe(2);
    expect(await reasons(h)).toContain('BackoffLimitExceeded: Job has reached the specified backoff limit');
  });

  it('back-off doubles from 10 s to at most 6 min', () => {
    expect([1, 2, 3, 6, 7, 20].map(failureBackoffMs)).toEqual([10_000, 20_000, 40_000, 320_000, 360_000, 360_000]);
  });

  it('gives an Indexed Job one pod per index, with the annotation, label, hostname and JOB_COMPLETION_INDEX', async () => {
    h = await harness('job-idx-');
    await h.run(createJobController);
    await h.store.create(job('job-idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    await until('3 pods', async () => running(await podsOf(h!, 'job-idx')).length === 3);
    const pods = running(await podsOf(h, 'job-idx'));
    const indexes = pods.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort();
    expect(indexes).toEqual(['0', '1', '2']);
    for (const p of pods) {
      const i = p.metadata.annotations!['batch.kubernetes.io/job-completion-index']!;
      expect(p.metadata.name).toMatch(new RegExp(`^job-idx-${i}-[a-z0-9]{5}$`));
      expect(p.metadata.labels?.['batch.kubernetes.io/job-completion-index']).toBe(i);
      expect(p.spec.hostname).toBe(`job-idx-${i}`);
      expect(p.spec.containers[0]!.env).toContainEqual({ name: 'JOB_COMPLETION_INDEX', value: i });
    }
    // index 1 fails: a new pod for index 1 only (after the back-off)
    const one = pods.find((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index'] === '1')!;
    await finish(h, pods.find((p) => p !== one && p.metadata.annotations!['batch.kubernetes.io/job-completion-index'] === '0')!, 0);
    await finish(h, one, 1);
    h.advance(10_000);
    await until('index 1 again', async () => running(await podsOf(h!, 'job-idx')).filter((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index'] === '1').length === 1);
    expect((await getJob(h, 'job-idx')).status?.completedIndexes).toBe('0');
    for (const p of running(await podsOf(h, 'job-idx'))) await finish(h, p, 0);
    await until('Complete', async () => condition(await getJob(h!, 'job-idx'), 'Complete') !== undefined);
    expect((await getJob(h, 'job-idx')).status).toMatchObject({ succeeded: 3, failed: 1, completedIndexes: '0-2' });
  });

  it('fails at once on a podFailurePolicy FailJob exit code, ignores an Ignore one', async () => {
    h = await harness('job-pfp-');
    await h.run(createJobController);
    const rules = [
      { action: 'Ignore' as const, onExitCodes: { operator: 'In' as const, values: [137] } },
      { action: 'FailJob' as const, onExitCodes: { containerName: 'main', operator: 'In' as const, values: [42] } },
    ];
    await h.store.create(job('job-pfp', { backoffLimit: 6, podFailurePolicy: { rules } }));
    await until('pod', async () => running(await podsOf(h!, 'job-pfp')).length === 1);
    await finish(h, running(await podsOf(h, 'job-pfp'))[0]!, 137);
    await until('a replacement, at once (ignored: no back-off)', async () => running(await podsOf(h!, 'job-pfp')).length === 1);
    expect((await getJob(h, 'job-pfp')).status?.failed).toBeUndefined();
    const pod = running(await podsOf(h, 'job-pfp'))[0]!;
    await finish(h, pod, 42);
    await until('Failed', async () => condition(await getJob(h!, 'job-pfp'), 'Failed') !== undefined);
    expect(condition(await getJob(h, 'job-pfp'), 'Failed')).toMatchObject({
      reason: 'PodFailurePolicy',
      message: `Container main for pod default/${pod.metadata.name} failed with exit code 42 matching FailJob rule at index 1`,
    });
  });

  it('fails with DeadlineExceeded past activeDeadlineSeconds, deleting its running pods', async () => {
    h = await harness('job-ddl-');
    await h.run(createJobController);
    await h.store.create(job('job-ddl', { activeDeadlineSeconds: 30 }));
    await until('pod', async () => running(await podsOf(h!, 'job-ddl')).length === 1);
    h.advance(31_000);
    await until('Failed', async () => condition(await getJob(h!, 'job-ddl'), 'Failed') !== undefined);
    expect(condition(await getJob(h, 'job-ddl'), 'Failed')).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(running(await podsOf(h, 'job-ddl'))).toHaveLength(0);
  });

  it('suspends (pods deleted, Suspended) and resumes; deletes a finished Job after ttlSecondsAfterFinished', async () => {
    h = await harness('job-sus-');
    await h.run(createJobController);
    await h.store.create(job('job-sus', { suspend: true, ttlSecondsAfterFinished: 60 }));
    await until('Suspended', async () => condition(await getJob(h!, 'job-sus'), 'Suspended') !== undefined);
    expect(condition(await getJob(h, 'job-sus'), 'Suspended')).toMatchObject({ reason: 'JobSuspended', message: 'Job suspended' });
    expect(await podsOf(h, 'job-sus')).toHaveLength(0);
    const cur = await getJob(h, 'job-sus');
    await h.store.update<Job>({ ...cur, spec: { ...cur.spec, suspend: false } });
    await until('resumed with a pod', async () => running(await podsOf(h!, 'job-sus')).length === 1);
    expect((await getJob(h, 'job-sus')).status?.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'JobResumed' });
    await finish(h, running(await podsOf(h, 'job-sus'))[0]!, 0);
    await until('Complete', async () => condition(await getJob(h!, 'job-sus'), 'Complete') !== undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(await h.store.get({ kind: 'Job', namespace: 'default', name: 'job-sus' })).toBeDefined();
    h.advance(61_000);
    await until('deleted after its TTL', async () => (await h!.store.get({ kind: 'Job', namespace: 'default', name: 'job-sus' })) === undefined);
  });

  it('keeps finished pods until the Job goes, then the garbage collector takes them', async () => {
    h = await harness('job-gc-');
    await h.run(createJobController, createGarbageCollector);
    await h.store.create(job('job-gc', { completions: 2, parallelism: 2, ttlSecondsAfterFinished: 0 }));
    await until('2 pods', async () => running(await podsOf(h!, 'job-gc')).length === 2);
    for (const p of running(await podsOf(h, 'job-gc'))) await finish(h, p, 0);
    await until('Job deleted at once (ttl 0)', async () => (await h!.store.get({ kind: 'Job', namespace: 'default', name: 'job-gc' })) === undefined);
    await until('its pods deleted', async () => (await podsOf(h!, 'job-gc')).filter((p) => !p.metadata.deletionTimestamp).length === 0);
  });

  it('writes completed indexes as Kubernetes does', () => {
    expect(formatIndexes([7, 1, 3, 4, 5])).toBe('1,3-5,7');
    expect(formatIndexes([0, 1])).toBe('0,1');
    expect([...parseIndexes('1,3-5,7')]).toEqual([1, 3, 4, 5, 7]);
  });
});

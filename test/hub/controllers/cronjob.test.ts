import { afterEach, describe, expect, it } from 'vitest';
import type { CronJob, Event, Job } from '../../../protocol/index.js';
import { createCronJobController, cronJobName, jobFromCronJob } from '../../../hub/controllers/cronjob/cronjob-controller.js';
import { missedTimes, parseSchedule, rfc3339In } from '../../../hub/controllers/cronjob/schedule.js';
import { ScheduleError } from '../../../hub/controllers/errors.js';
import { kubeTimestamp } from '../../../protocol/time.js';
import { harness, START, until, type Harness } from './workload-support.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

function cronJob(name: string, spec: Partial<CronJob['spec']> = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '* * * * *',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'registry.local/busybox:1' }] } } } },
      ...spec,
    },
  };
}

const jobsOf = async (h: Harness, name: string): Promise<Job[]> =>
  (await h.store.list<Job>('Job', { namespace: 'default' })).items.filter((j) => j.metadata.ownerReferences?.some((r) => r.kind === 'CronJob' && r.name === name));
const getCj = async (h: Harness, name: string): Promise<CronJob> => (await h.store.get<CronJob>({ kind: 'CronJob', namespace: 'default', name }))!;
const events = async (h: Harness, reason: string): Promise<string[]> => (await h.store.list<Event>('Event')).items.filter((e) => e.reason === reason).map((e) => e.message ?? '');

async function finishJob(h: Harness, job: Job, type: 'Complete' | 'Failed'): Promise<void> {
  const cur = (await h.store.get<Job>({ kind: 'Job', namespace: 'default', name: job.metadata.name }))!;
  const at = kubeTimestamp(h.now());
  await h.store.update<Job>({
    ...cur,
    status: { ...cur.status, conditions: [{ type, status: 'True', lastTransitionTime: at }], ...(type === 'Complete' ? { completionTime: at } : {}) },
  });
}

const MIN = 60_000;

describe('CronJob schedules', () => {
  it('reads five-field cron and macros in a time zone, refuses the rest', () => {
    const t0 = Date.parse('2026-01-01T00:03:00Z');
    expect(parseSchedule('*/5 * * * *', undefined).next(t0)).toBe(Date.parse('2026-01-01T00:05:00Z'));
    expect(parseSchedule('@hourly', undefined).next(t0)).toBe(Date.parse('2026-01-01T01:00:00Z'));
    expect(parseSchedule('0 6 * * *', 'Europe/Berlin').next(t0)).toBe(Date.parse('2026-01-01T05:00:00Z'));
    expect(() => parseSchedule('0 0 * * * *', undefined)).toThrow(ScheduleError);
    expect(() => parseSchedule('TZ=UTC 0 * * * *', undefined)).toThrow(/use timeZone field/);
    expect(() => parseSchedule('0 * * * *', 'Mars/Olympus')).toThrow(/unknown time zone/);
    expect(rfc3339In(Date.parse('2026-01-01T05:00:00Z'), 'Europe/Berlin')).toBe('2026-01-01T06:00:00+01:00');
    expect(rfc3339In(Date.parse('2026-01-01T05:00:00Z'), undefined)).toBe('2026-01-01T05:00:00Z');
  });

  it('counts missed times as Kubernetes does', () => {
    const s = parseSchedule('* * * * *', undefined);
    const m = missedTimes(s, START, START + 150 * MIN + 30_000);
    expect(m.count).toBe(150);
    expect(m.mostRecent).toBe(START + 150 * MIN);
  });

  it('names Jobs <cronjob>-<minutes since the epoch> with the scheduled-timestamp annotation', () => {
    const cj = { ...cronJob('up'), metadata: { name: 'up', namespace: 'default', uid: 'u1' } };
    const t = Date.parse('2026-03-01T10:05:00Z');
    expect(cronJobName(cj, t)).toBe(`up-${t / MIN}`);
    const job = jobFromCronJob(cj, t);
    expect(job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe('2026-03-01T10:05:00Z');
    expect(job.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'up', uid: 'u1', controller: true });
    expect(job.spec.selector?.matchLabels?.['batch.kubernetes.io/controller-uid']).toBe(job.metadata.uid);
  });
});

describe('CronJob controller (fake clock)', () => {
  it('starts one Job per schedule time, records lastScheduleTime, active and lastSuccessfulTime, keeps 3 successful', async () => {
    h = await harness('cj-every-');
    await h.store.create(cronJob('cj-every'));
    await h.run(createCronJobController);
    await new Promise((r) => setTimeout(r, 300));
    expect(await jobsOf(h, 'cj-every')).toHaveLength(0); // created at 10:00:00, first run 10:01
    for (let i = 1; i <= 5; i++) {
      h.advance(MIN);
      await until(`job ${i}`, async () => (await jobsOf(h!, 'cj-every')).some((j) => j.metadata.name === `cj-every-${(START + i * MIN) / MIN}`));
      const job = (await jobsOf(h, 'cj-every')).find((j) => j.metadata.name === `cj-every-${(START + i * MIN) / MIN}`)!;
      await until('active', async () => (await getCj(h!, 'cj-every')).status?.active?.some((r) => r.name === job.metadata.name) === true);
      expect((await getCj(h, 'cj-every')).status?.lastScheduleTime).toBe(kubeTimestamp(START + i * MIN));
      await finishJob(h, job, 'Complete');
      await until('not active', async () => !(await getCj(h!, 'cj-every')).status?.active);
    }
    await until('history of 3', async () => (await jobsOf(h!, 'cj-every')).length === 3);
    expect((await getCj(h, 'cj-every')).status?.lastSuccessfulTime).toBe(kubeTimestamp(START + 5 * MIN));
    expect((await events(h, 'SawCompletedJob')).length).toBeGreaterThanOrEqual(5);
    expect(await events(h, 'SuccessfulDelete')).toContain(`Deleted job cj-every-${(START + MIN) / MIN}`);
  });

  it('Forbid skips a run while the last one is active; Replace deletes it', async () => {
    h = await harness('cj-conc-');
    await h.store.create(cronJob('cj-forbid', { concurrencyPolicy: 'Forbid' }));
    await h.store.create(cronJob('cj-replace', { concurrencyPolicy: 'Replace' }));
    await h.run(createCronJobController);
    h.advance(MIN);
    await until('first jobs', async () => (await jobsOf(h!, 'cj-forbid')).length === 1 && (await jobsOf(h!, 'cj-replace')).length === 1);
    h.advance(MIN);
    await until('replaced', async () => (await jobsOf(h!, 'cj-replace')).map((j) => j.metadata.name).join() === `cj-replace-${(START + 2 * MIN) / MIN}`);
    await until('JobAlreadyActive', async () => (await events(h!, 'JobAlreadyActive')).length > 0);
    expect((await jobsOf(h, 'cj-forbid')).map((j) => j.metadata.name)).toEqual([`cj-forbid-${(START + MIN) / MIN}`]);
    expect(await events(h, 'JobAlreadyActive')).toContain('Not starting job because prior execution is running and concurrency policy is Forbid');
  });

  it('after the hub was down over several schedules: one catch-up run for the most recent, an event naming the missed times', async () => {
    h = await harness('cj-down-');
    await h.store.create(cronJob('cj-down', { schedule: '*/5 * * * *' }));
    // the hub is down from 10:00 to 10:17: 10:05, 10:10, 10:15 were missed
    h.advance(17 * MIN);
    await h.run(createCronJobController);
    await until('one catch-up job', async () => (await jobsOf(h!, 'cj-down')).length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect((await jobsOf(h, 'cj-down')).map((j) => j.metadata.name)).toEqual([`cj-down-${(START + 15 * MIN) / MIN}`]);
    const missed = await events(h, 'MissSchedule');
    expect(missed).toHaveLength(1);
    expect(missed[0]).toContain('Sun, 01 Mar 2026 10:05:00 +0000, Sun, 01 Mar 2026 10:10:00 +0000');
  });

  it('starts nothing past startingDeadlineSeconds; warns of too many missed start times', async () => {
    h = await harness('cj-late-');
    await h.store.create(cronJob('cj-late', { schedule: '0 * * * *', startingDeadlineSeconds: 60 }));
    await h.store.create(cronJob('cj-many'));
    h.advance(3 * 60 * MIN + 10 * MIN); // 13:10: 13:00 was 10 min ago, past the 60 s deadline
    await h.run(createCronJobController);
    await until('TooManyMissedTimes', async () => (await events(h!, 'TooManyMissedTimes')).length > 0);
    expect((await events(h, 'TooManyMissedTimes'))[0]).toBe('too many missed start times: 190. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    await until('the catch-up of cj-many', async () => (await jobsOf(h!, 'cj-many')).length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await jobsOf(h, 'cj-late')).toHaveLength(0);
  });

  it('suspend stops new runs; an invalid schedule is an event', async () => {
    h = await harness('cj-sus-');
    await h.store.create(cronJob('cj-sus', { suspend: true }));
    await h.store.create(cronJob('cj-bad', { schedule: '61 * * * *' }));
    await h.run(createCronJobController);
    h.advance(3 * MIN);
    await until('InvalidSchedule', async () => (await events(h!, 'InvalidSchedule')).length > 0);
    expect((await events(h, 'InvalidSchedule'))[0]).toMatch(/^invalid schedule: 61 \* \* \* \* : /);
    await new Promise((r) => setTimeout(r, 300));
    expect(await jobsOf(h, 'cj-sus')).toHaveLength(0);
  });
});

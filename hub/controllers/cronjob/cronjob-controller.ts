/**
 * The CronJob controller (batch/v1), as Kubernetes' cronjob controller (v2): for each CronJob, the
 * most recent schedule time since its last one (or its creation) that is due (schedule.ts) starts one
 * Job `<cronjob>-<scheduled time in minutes since the epoch>` with the annotation
 * batch.kubernetes.io/cronjob-scheduled-timestamp; concurrencyPolicy Allow / Forbid (JobAlreadyActive)
 * / Replace (the running Jobs deleted); none past startingDeadlineSeconds (MissSchedule); after the hub
 * was down, one catch-up run for the most recent missed time only, a Warning MissSchedule event naming
 * the times skipped, TooManyMissedTimes past 100; status.active, lastScheduleTime,
 * lastSuccessfulTime; finished Jobs beyond successfulJobsHistoryLimit (3) / failedJobsHistoryLimit (1)
 * deleted, oldest first. Time comes from the hub's clock.
 */
import { isDeepStrictEqual } from 'node:util';
import type { CronJob } from '../../../protocol/objects/cron-job.js';
import type { Job } from '../../../protocol/objects/job.js';
import { defaultJob } from '../../../protocol/job-defaults.js';
import { kubeTimestamp } from '../../../protocol/time.js';
import { ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP } from '../../../protocol/well-known.js';
import { isControlledBy } from '../../../protocol/workload-helpers.js';
import { AlreadyExistsError, NotFoundError } from '../../store/errors.js';
import { updateWithRetry } from '../../store/update-with-retry.js';
import type { Controller } from '../controller.js';
import { jobFinished } from '../job/job-controller.js';
import { controllerKey, controllerRefTo } from '../pod-template.js';
import { createReconcileLoop, loopController, objectKey, splitObjectKey } from '../reconcile-loop.js';
import { involvedObjectOf, type WorkloadControllerOptions } from '../replicaset.js';
import { ScheduleError } from '../errors.js';
import { missedTimes, parseSchedule, rfc1123z, rfc3339In, TOO_MANY_MISSED, type Schedule } from './schedule.js';

export const CRONJOB_CONTROLLER = 'cronjob-controller';

/** Kubernetes' getJobName: the scheduled time in minutes since the epoch. */
export function cronJobName(cronJob: CronJob, scheduledMs: number): string {
  return `${cronJob.metadata.name}-${Math.floor(scheduledMs / 60_000)}`;
}

/** The Job a CronJob starts for `scheduledMs` (Kubernetes' getJobFromTemplate2), with the API's Job defaults. */
export function jobFromCronJob(cronJob: CronJob, scheduledMs: number): Job {
  const t = cronJob.spec.jobTemplate;
  return defaultJob({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: cronJobName(cronJob, scheduledMs),
      namespace: cronJob.metadata.namespace ?? 'default',
      ...(t.metadata?.labels ? { labels: { ...t.metadata.labels } } : {}),
      annotations: { ...(t.metadata?.annotations ?? {}), [ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP]: rfc3339In(scheduledMs, cronJob.spec.timeZone) },
      ownerReferences: [controllerRefTo(cronJob)],
    },
    spec: structuredClone(t.spec),
  });
}

const finishedType = (job: Job): string | undefined => jobFinished(job)?.type;

export async function createCronJobController(opts: WorkloadControllerOptions): Promise<Controller> {
  const { store, cache, clock, events } = opts;
  const logger = opts.logger.child({ controller: 'cronjob' });
  const source = { component: CRONJOB_CONTROLLER };
  const say = (cj: CronJob, type: 'Normal' | 'Warning', reason: string, message: string): void => {
    void events.record(involvedObjectOf(cj), type, reason, message, source);
  };

  async function deleteJob(cj: CronJob, job: Job): Promise<void> {
    try {
      await store.delete({ kind: 'Job', namespace: job.metadata.namespace ?? 'default', name: job.metadata.name });
      say(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  /** Finished Jobs beyond the history limits, oldest first. */
  async function cleanupHistory(cj: CronJob, jobs: readonly Job[]): Promise<void> {
    const started = (j: Job): number => Date.parse(j.status?.startTime ?? j.metadata.creationTimestamp ?? '') || 0;
    for (const [type, limit] of [['Complete', cj.spec.successfulJobsHistoryLimit ?? 3], ['Failed', cj.spec.failedJobsHistoryLimit ?? 1]] as const) {
      const done = jobs.filter((j) => finishedType(j) === type).sort((a, b) => started(a) - started(b));
      for (const job of done.slice(0, Math.max(0, done.length - limit))) await deleteJob(cj, job);
    }
  }

  async function reconcile(key: string): Promise<void> {
    const { namespace, name } = splitObjectKey(key);
    const cj = await store.get<CronJob>({ kind: 'CronJob', namespace, name });
    if (!cj || cj.metadata.deletionTimestamp) return;
    const now = clock();
    let jobs = cache.kind<Job>('Job').ownedBy(cj.metadata.uid ?? '').filter((j) => isControlledBy(j, cj));
    const wasActive = new Set((cj.status?.active ?? []).map((r) => r.name));
    for (const job of jobs) {
      const type = finishedType(job);
      if (type && wasActive.has(job.metadata.name)) say(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, status: ${type}`);
    }
    for (const gone of wasActive) {
      if (!jobs.some((j) => j.metadata.name === gone)) say(cj, 'Normal', 'MissingJob', `Active job went missing: ${gone}`);
    }
    let lastScheduleTime = cj.status?.lastScheduleTime;
    const created: Job[] = [];

    let schedule: Schedule | undefined;
    try {
      schedule = parseSchedule(cj.spec.schedule, cj.spec.timeZone);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      if (err.reason === 'UnknownTimeZone') say(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${cj.spec.timeZone}": ${err.message}`);
      else say(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${cj.spec.schedule} : ${err.message}`);
    }

    if (schedule && !cj.spec.suspend) {
      const deadline = cj.spec.startingDeadlineSeconds;
      let earliest = Date.parse(lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') || now;
      if (deadline !== undefined) earliest = Math.max(earliest, now - deadline * 1000);
      const missed = missedTimes(schedule, earliest, now);
      if (missed.count > TOO_MANY_MISSED) {
        say(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${missed.count}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
      }
      const scheduled = missed.mostRecent;
      if (scheduled !== undefined) {
        const jobName = cronJobName(cj, scheduled);
        const tooLate = deadline !== undefined && scheduled + deadline * 1000 < now;
        const active = jobs.filter((j) => !finishedType(j));
        if (tooLate) {
          say(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
        } else if (jobs.some((j) => j.metadata.name === jobName) || lastScheduleTime === kubeTimestamp(scheduled)) {
          // already started
        } else if (cj.spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
          say(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
        } else {
          if (missed.count > 1) {
            const skipped = missed.first.filter((t) => t !== scheduled).map(rfc1123z);
            const more = missed.count - 1 - skipped.length;
            say(cj, 'Warning', 'MissSchedule', `Missed ${missed.count - 1} scheduled time(s) to start a job: ${skipped.join(', ')}${more > 0 ? ` and ${more} more` : ''}; starting one job for the most recent, ${rfc1123z(scheduled)}`);
          }
          if (cj.spec.concurrencyPolicy === 'Replace') {
            for (const job of active) await deleteJob(cj, job);
            jobs = jobs.filter((j) => !active.includes(j));
          }
          try {
            const job = await store.create<Job>(jobFromCronJob(cj, scheduled));
            created.push(job);
            say(cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`);
          } catch (err) {
            if (!(err instanceof AlreadyExistsError)) {
              say(cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
              throw err;
            }
          }
          lastScheduleTime = kubeTimestamp(scheduled);
        }
      }
      const next = schedule.next(now);
      if (next !== undefined) loop.requeueAfter(key, next - now + 100);
    }

    jobs = [...jobs.filter((j) => !created.some((c) => c.metadata.name === j.metadata.name)), ...created];
    await cleanupHistory(cj, jobs);
    const active = jobs.filter((j) => !finishedType(j));
    const successes = jobs.map((j) => (finishedType(j) === 'Complete' ? j.status?.completionTime : undefined)).filter((t): t is string => t !== undefined).sort();
    const lastSuccessfulTime = [cj.status?.lastSuccessfulTime, successes.at(-1)].filter((t): t is string => t !== undefined).sort().at(-1);
    const status: NonNullable<CronJob['status']> = {
      ...(active.length ? { active: active.map((j) => ({ apiVersion: 'batch/v1', kind: 'Job', namespace, name: j.metadata.name, uid: j.metadata.uid ?? '', resourceVersion: j.metadata.resourceVersion ?? '' })) } : {}),
      ...(lastScheduleTime ? { lastScheduleTime } : {}),
      ...(lastSuccessfulTime ? { lastSuccessfulTime } : {}),
    };
    const strip = (s: CronJob['status']) => ({ ...s, active: s?.active?.map((r) => ({ ...r, resourceVersion: '' })) });
    await updateWithRetry<CronJob>(store, { kind: 'CronJob', namespace, name }, (current) => {
      if (current.metadata.uid !== cj.metadata.uid || isDeepStrictEqual(strip(current.status), strip(status))) return undefined;
      return { ...current, status };
    });
  }

  const loop = createReconcileLoop({
    name: CRONJOB_CONTROLLER,
    logger,
    reconcile,
    resyncMs: opts.resyncMs,
    listKeys: async () => cache.kind<CronJob>('CronJob').list().map(objectKey),
  });

  return loopController(loop, logger, () => [
    cache.kind('CronJob').subscribe((e) => {
      if (e.type !== 'DELETED') loop.enqueue(objectKey(e.object));
    }),
    cache.kind('Job').subscribe((e) => {
      const owner = controllerKey(e.object, 'CronJob');
      if (owner !== undefined) loop.enqueue(owner);
    }),
  ]);
}

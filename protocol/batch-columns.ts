/**
 * kubectl's columns for batch/v1: Job (STATUS, COMPLETIONS, DURATION, AGE; wide CONTAINERS, IMAGES,
 * SELECTOR) and CronJob (SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE, AGE; the same wide ones),
 * as kubectl's printers compute them.
 */
import { selectorToString } from './labels.js';
import type { CronJob } from './objects/cron-job.js';
import type { Job } from './objects/job.js';
import type { KubeObject } from './objects/meta.js';
import type { PodTemplateSpec } from './objects/pod.js';
import { shortAge } from './pod-display.js';
import type { Column } from './table-columns.js';

const has = (job: Job, type: string): boolean => (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

/** kubectl's Job STATUS. */
export function jobStatusText(job: Job): string {
  if (has(job, 'Complete')) return 'Complete';
  if (has(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (has(job, 'Suspended')) return 'Suspended';
  if (has(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/** kubectl's COMPLETIONS: "2/5", or "0/1 of 3" for a work queue with parallelism. */
export function jobCompletionsText(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  if (job.spec.completions !== undefined) return `${succeeded}/${job.spec.completions}`;
  const p = job.spec.parallelism;
  return p !== undefined && p > 1 ? `${succeeded}/1 of ${p}` : `${succeeded}/1`;
}

function jobDuration(job: Job, now: number): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  return shortAge(start, end);
}

const templateOf = (o: KubeObject): PodTemplateSpec =>
  o.kind === 'CronJob' ? (o as CronJob).spec.jobTemplate.spec.template : (o as Job).spec.template;
const selectorOf = (o: KubeObject): string => {
  const sel = o.kind === 'CronJob' ? (o as CronJob).spec.jobTemplate.spec.selector : (o as Job).spec.selector;
  return sel ? selectorToString(sel) || '<none>' : '<none>';
};

const BATCH_WIDE: Column[] = [
  { header: 'CONTAINERS', value: (o) => templateOf(o).spec.containers.map((c) => c.name).join(','), wideOnly: true },
  { header: 'IMAGES', value: (o) => templateOf(o).spec.containers.map((c) => c.image).join(','), wideOnly: true },
  { header: 'SELECTOR', value: selectorOf, wideOnly: true },
];

const age: Column = { header: 'AGE', value: (o, now) => shortAge(o.metadata.creationTimestamp, now) };

export const JOB_COLUMNS: Column[] = [
  { header: 'STATUS', value: (o) => jobStatusText(o as Job) },
  { header: 'COMPLETIONS', value: (o) => jobCompletionsText(o as Job) },
  { header: 'DURATION', value: (o, now) => jobDuration(o as Job, now) },
  age,
  ...BATCH_WIDE,
];

export const CRONJOB_COLUMNS: Column[] = [
  { header: 'SCHEDULE', value: (o) => (o as CronJob).spec.schedule },
  { header: 'TIMEZONE', value: (o) => (o as CronJob).spec.timeZone ?? '<none>' },
  { header: 'SUSPEND', value: (o) => ((o as CronJob).spec.suspend ? 'True' : 'False') },
  { header: 'ACTIVE', value: (o) => String((o as CronJob).status?.active?.length ?? 0) },
  { header: 'LAST SCHEDULE', value: (o, now) => ((o as CronJob).status?.lastScheduleTime ? shortAge((o as CronJob).status!.lastScheduleTime, now) : '<none>') },
  age,
  ...BATCH_WIDE,
];

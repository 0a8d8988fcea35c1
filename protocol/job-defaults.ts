/**
 * What kube-apiserver's Job strategy fills in on create: a uid chosen before the write, and unless
 * spec.manualSelector, the labels `batch.kubernetes.io/controller-uid`, `batch.kubernetes.io/job-name`
 * (and their legacy forms `controller-uid`, `job-name`) on the pod template with a selector on the uid;
 * defaults of parallelism (1), completions (1 when parallelism is unset too), backoffLimit (6),
 * completionMode (NonIndexed), suspend (false) and podReplacementPolicy.
 */
import { randomUUID } from 'node:crypto';
import type { Job } from './objects/job.js';
import { LABEL_JOB_CONTROLLER_UID, LABEL_JOB_NAME, LABEL_LEGACY_CONTROLLER_UID, LABEL_LEGACY_JOB_NAME } from './well-known.js';

export function defaultJob(job: Job): Job {
  const uid = job.metadata.uid || randomUUID();
  const spec = { ...job.spec };
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  if (!spec.manualSelector) {
    const name = job.metadata.name || job.metadata.generateName || '';
    const labels = {
      ...(spec.template.metadata?.labels ?? {}),
      [LABEL_JOB_CONTROLLER_UID]: uid,
      [LABEL_JOB_NAME]: name,
      [LABEL_LEGACY_CONTROLLER_UID]: uid,
      [LABEL_LEGACY_JOB_NAME]: name,
    };
    spec.template = { ...spec.template, metadata: { ...(spec.template.metadata ?? {}), labels } };
    spec.selector ??= { matchLabels: { [LABEL_JOB_CONTROLLER_UID]: uid } };
  }
  // SetDefaults_Job: a Job without labels of its own gets its template's
  const labels = job.metadata.labels && Object.keys(job.metadata.labels).length > 0 ? job.metadata.labels : spec.template.metadata?.labels;
  return { ...job, metadata: { ...job.metadata, uid, ...(labels ? { labels } : {}) }, spec };
}

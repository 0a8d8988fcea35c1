/**
 * The Job controller (batch/v1), as Kubernetes' job controller: runs the pods of each Job (job-pods.ts)
 * until it has its completions, fails it on backoffLimit, activeDeadlineSeconds or a podFailurePolicy
 * FailJob rule (job-state.ts), suspends and resumes it, writes its status and conditions
 * (SuccessCriteriaMet then Complete; FailureTarget then Failed once its pods are gone; Suspended), and
 * deletes it ttlSecondsAfterFinished after it finished (the garbage collector takes its pods). Finished
 * pods are kept, for their logs, until the Job goes.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Condition } from '../../../protocol/objects/meta.js';
import type { Job, JobStatus } from '../../../protocol/objects/job.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { kubeTimestamp } from '../../../protocol/time.js';
import { isControlledBy } from '../../../protocol/workload-helpers.js';
import { admitComponentPod, createPodSecurityAdmission } from '../../admission/pod-security/admission.js';
import { deletePodGracefully } from '../../registry/pod-deletion.js';
import { NotFoundError } from '../../store/errors.js';
import { updateWithRetry } from '../../store/update-with-retry.js';
import type { Controller } from '../controller.js';
import { controllerKey } from '../pod-template.js';
import { createReconcileLoop, loopController, objectKey, splitObjectKey } from '../reconcile-loop.js';
import { involvedObjectOf, type WorkloadControllerOptions } from '../replicaset.js';
import { jobPod } from './job-pods.js';
import { jobState, type Failure } from './job-state.js';

export const JOB_CONTROLLER = 'job-controller';

const trueCondition = (job: Job, type: string): Condition | undefined =>
  job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** Complete or Failed: the Job is done. */
export function jobFinished(job: Job): Condition | undefined {
  return trueCondition(job, 'Complete') ?? trueCondition(job, 'Failed');
}

function withCondition(conditions: Condition[], type: string, status: 'True' | 'False', reason: string, message: string, now: string): Condition[] {
  const old = conditions.find((c) => c.type === type);
  if (old && old.status === status && old.reason === reason) return conditions;
  const next: Condition = { type, status, reason, message, lastProbeTime: now, lastTransitionTime: old?.status === status ? old.lastTransitionTime ?? now : now };
  return old ? conditions.map((c) => (c === old ? next : c)) : [...conditions, next];
}

export async function createJobController(opts: WorkloadControllerOptions): Promise<Controller> {
  const { store, cache, clock, events } = opts;
  const logger = opts.logger.child({ controller: 'job' });
  const source = { component: JOB_CONTROLLER };
  const podSecurity = opts.podSecurity ?? createPodSecurityAdmission({ cache });

  const podsOf = (job: Job): Pod[] => cache.kind<Pod>('Pod').ownedBy(job.metadata.uid ?? '').filter((p) => isControlledBy(p, job));

  async function createPods(job: Job, count: number, indexes: number[]): Promise<void> {
    const indexed = job.spec.completionMode === 'Indexed';
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        try {
          const fresh = jobPod(job, indexed ? indexes[i] : undefined);
          admitComponentPod(podSecurity, JOB_CONTROLLER, fresh);
          const pod = await store.create<Pod>(fresh);
          void events.record(involvedObjectOf(job), 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, source);
        } catch (err) {
          void events.record(involvedObjectOf(job), 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`, source);
          throw err;
        }
      }),
    );
  }

  async function deletePods(job: Job, pods: readonly Pod[]): Promise<void> {
    await Promise.all(
      pods.map(async (pod) => {
        const key = { kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name };
        if (await deletePodGracefully(store, key, { clock, uid: pod.metadata.uid })) {
          void events.record(involvedObjectOf(job), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, source);
        }
      }),
    );
  }

  /** A finished Job with ttlSecondsAfterFinished: deleted once that has passed (Kubernetes' TTL-after-finished controller). */
  async function expire(key: string, job: Job, finished: Condition): Promise<void> {
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl === undefined) return;
    const at = Date.parse(finished.lastTransitionTime ?? '') + ttl * 1000;
    const wait = at - clock();
    if (Number.isNaN(at) || wait > 0) {
      if (!Number.isNaN(at)) loop.requeueAfter(key, wait + 10);
      return;
    }
    try {
      await store.delete({ kind: 'Job', namespace: job.metadata.namespace ?? 'default', name: job.metadata.name }, { expectedResourceVersion: job.metadata.resourceVersion });
      logger.info({ job: key, ttlSecondsAfterFinished: ttl }, 'finished job past its TTL: deleted');
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  async function reconcile(key: string): Promise<void> {
    const { namespace, name } = splitObjectKey(key);
    const job = await store.get<Job>({ kind: 'Job', namespace, name });
    if (!job || job.metadata.deletionTimestamp) return;
    const done = jobFinished(job);
    if (done) return expire(key, job, done);
    const nowMs = clock();
    const now = kubeTimestamp(nowMs);
    const said: Array<[type: 'Normal' | 'Warning', reason: string, message: string]> = [];
    let conditions = [...(job.status?.conditions ?? [])];
    let startTime = job.status?.startTime;
    let completionTime: string | undefined;

    if (job.spec.suspend) {
      await deletePods(job, podsOf(job).filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed'));
      if (!trueCondition(job, 'Suspended')) said.push(['Normal', 'Suspended', 'Job suspended']);
      conditions = withCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
      startTime = undefined;
    } else {
      if (trueCondition(job, 'Suspended')) {
        conditions = withCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
        said.push(['Normal', 'Resumed', 'Job resumed']);
        startTime = now;
      }
      startTime ??= now;
      const st = jobState({ ...job, status: { ...job.status, startTime } }, podsOf(job), nowMs);
      const target = trueCondition(job, 'FailureTarget');
      const failure: Failure | undefined = target ? { reason: target.reason as Failure['reason'], message: target.message ?? '' } : st.failure;
      if (failure) {
        conditions = withCondition(conditions, 'FailureTarget', 'True', failure.reason, failure.message, now);
        await deletePods(job, st.active);
      } else if (st.complete || trueCondition(job, 'SuccessCriteriaMet')) {
        conditions = withCondition(conditions, 'SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
        await deletePods(job, st.active);
      } else if (st.wantMore > 0) {
        if (st.backoffRemainingMs > 0) loop.requeueAfter(key, st.backoffRemainingMs + 10);
        else await createPods(job, st.wantMore, st.missingIndexes);
      }
      if (!failure && job.spec.activeDeadlineSeconds !== undefined) {
        loop.requeueAfter(key, Math.max(0, Date.parse(startTime) + job.spec.activeDeadlineSeconds * 1000 - nowMs) + 10);
      }
      // the terminal condition once no pod of the Job runs any more (Kubernetes 1.31+)
      const after = jobState({ ...job, status: { ...job.status, startTime } }, podsOf(job), nowMs);
      if (after.active.length === 0 && after.terminating === 0) {
        if (failure) {
          conditions = withCondition(conditions, 'Failed', 'True', failure.reason, failure.message, now);
          said.push(['Warning', failure.reason, failure.message]);
        } else if (trueCondition({ ...job, status: { conditions } }, 'SuccessCriteriaMet')) {
          conditions = withCondition(conditions, 'Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
          completionTime = now;
          said.push(['Normal', 'Completed', 'Job completed']);
        }
      }
    }

    const st = jobState({ ...job, status: { ...job.status, ...(startTime ? { startTime } : {}) } }, podsOf(job), nowMs);
    const status: JobStatus = {
      ...(conditions.length ? { conditions } : {}),
      ...(startTime ? { startTime } : {}),
      ...(completionTime ?? job.status?.completionTime ? { completionTime: completionTime ?? job.status?.completionTime } : {}),
      ...(st.active.length ? { active: st.active.length } : {}),
      ...(st.succeeded ? { succeeded: st.succeeded } : {}),
      ...(st.failed ? { failed: st.failed } : {}),
      ready: st.ready,
      terminating: st.terminating,
      ...(st.completedIndexes !== undefined ? { completedIndexes: st.completedIndexes } : {}),
      uncountedTerminatedPods: {},
    };
    const result = await updateWithRetry<Job>(store, { kind: 'Job', namespace, name }, (current) => {
      if (current.metadata.uid !== job.metadata.uid || isDeepStrictEqual(current.status, status)) return undefined;
      return { ...current, status };
    });
    if (result.outcome === 'updated') {
      for (const [type, reason, message] of said) void events.record(involvedObjectOf(job), type, reason, message, source);
      const finished = status.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      if (finished) {
        logger.info({ job: key, condition: finished.type, reason: finished.reason }, 'job finished');
        if (job.spec.ttlSecondsAfterFinished !== undefined) loop.enqueue(key);
      }
    }
  }

  const loop = createReconcileLoop({
    name: JOB_CONTROLLER,
    logger,
    reconcile,
    resyncMs: opts.resyncMs,
    ...(opts.minReconcileIntervalMs !== undefined ? { minIntervalMs: opts.minReconcileIntervalMs } : {}),
    listKeys: async () => cache.kind<Job>('Job').list().map(objectKey),
  });

  return loopController(loop, logger, () => [
    cache.kind('Job').subscribe((e) => {
      if (e.type !== 'DELETED') loop.enqueue(objectKey(e.object));
    }),
    cache.kind('Pod').subscribe((e) => {
      const owner = controllerKey(e.object, 'Job');
      if (owner !== undefined) loop.enqueue(owner);
    }),
  ]);
}

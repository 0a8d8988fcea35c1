/**
 * A Deployment's status and its Available / Progressing conditions, pure (Kubernetes'
 * deployment/sync.go calculateStatus and progress.go syncRolloutStatus, in Kubernetes' wording).
 */
import type { Condition, Deployment } from '../../protocol/index.js';
import { findCondition, transitionTime } from '../../protocol/conditions.js';
import { kubeTimestamp } from '../../protocol/time.js';

export type DeploymentStatus = NonNullable<Deployment['status']>;

export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

export interface DeploymentCounts {
  /** Active pods of every ReplicaSet. */
  replicas: number;
  /** Active pods of the new ReplicaSet. */
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  /** Sum of spec.replicas of every ReplicaSet. */
  specReplicas: number;
}

/** What happened to the new ReplicaSet in this sync, for the Progressing condition ('found': it existed already). */
export type NewReplicaSetEvent = 'created' | 'found' | 'none';

export interface StatusInput {
  deployment: Deployment;
  counts: DeploymentCounts;
  newReplicaSetName: string | undefined;
  newReplicaSetEvent: NewReplicaSetEvent;
  maxUnavailable: number;
  now: number;
}

/**
 * Kubernetes' SetDeploymentCondition: nothing changes when status, reason and message are the same;
 * otherwise the condition is replaced, lastUpdateTime now, lastTransitionTime by the usual rule.
 */
function setCondition(conditions: Condition[], next: Omit<Condition, 'lastTransitionTime' | 'lastUpdateTime'>, now: string): Condition[] {
  const old = findCondition(conditions, next.type);
  if (old && old.status === next.status && old.reason === next.reason && old.message === next.message) return conditions;
  const cond: Condition = { ...next, lastUpdateTime: now, lastTransitionTime: transitionTime(old, next.status, now) };
  return [...conditions.filter((c) => c.type !== next.type), cond];
}

/** Kubernetes' DeploymentComplete: every replica updated and available, no old one left, spec observed. */
export function isDeploymentComplete(d: Deployment, status: DeploymentStatus): boolean {
  const want = d.spec.replicas ?? 1;
  return (
    status.updatedReplicas === want &&
    status.replicas === want &&
    status.availableReplicas === want &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 1)
  );
}

/** Kubernetes' DeploymentProgressing: more updated, ready or available pods, or fewer old ones, than before. */
function madeProgress(before: DeploymentStatus, after: DeploymentStatus): boolean {
  const oldBefore = (before.replicas ?? 0) - (before.updatedReplicas ?? 0);
  const oldAfter = (after.replicas ?? 0) - (after.updatedReplicas ?? 0);
  return (
    (after.updatedReplicas ?? 0) > (before.updatedReplicas ?? 0) ||
    oldAfter < oldBefore ||
    (after.readyReplicas ?? 0) > (before.readyReplicas ?? 0) ||
    (after.availableReplicas ?? 0) > (before.availableReplicas ?? 0)
  );
}

/** The Deployment's next status, with its conditions. */
export function deploymentStatus(input: StatusInput): DeploymentStatus {
  const { deployment: d, counts, now } = input;
  const before = d.status ?? {};
  const ts = kubeTimestamp(now);
  const want = d.spec.replicas ?? 1;
  const base: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas: counts.replicas,
    updatedReplicas: counts.updatedReplicas,
    readyReplicas: counts.readyReplicas,
    availableReplicas: counts.availableReplicas,
    unavailableReplicas: Math.max(0, counts.specReplicas - counts.availableReplicas),
    ...(before.collisionCount !== undefined ? { collisionCount: before.collisionCount } : {}),
  };
  let conditions = [...(before.conditions ?? [])];
  conditions =
    counts.availableReplicas >= want - input.maxUnavailable
      ? setCondition(conditions, { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }, ts)
      : setCondition(conditions, { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }, ts);

  const rsName = input.newReplicaSetName;
  const progressing = findCondition(conditions, 'Progressing');
  if (d.spec.paused) {
    conditions = setCondition(conditions, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, ts);
  } else if (progressing?.reason === 'DeploymentPaused') {
    conditions = setCondition(conditions, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed' }, ts);
  } else if (rsName !== undefined) {
    const next = { ...base, conditions };
    if (isDeploymentComplete(d, next)) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }, ts);
    } else if (input.newReplicaSetEvent === 'created') {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` }, ts);
    } else if (input.newReplicaSetEvent === 'found' && (!progressing || progressing.reason === 'NewReplicaSetAvailable')) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'FoundNewReplicaSet', message: `Found new replica set "${rsName}"` }, ts);
    } else if (madeProgress(before, next)) {
      // Progress refreshes lastUpdateTime even when the condition reads the same: the deadline counts from it.
      const updated = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` }, ts);
      conditions = updated.map((c) => (c.type === 'Progressing' ? { ...c, lastUpdateTime: ts } : c));
    } else if (progressing && progressing.reason !== 'NewReplicaSetAvailable' && progressDeadlinePassed(d, progressing, now)) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }, ts);
    }
  }
  return { ...base, conditions: orderConditions(conditions) };
}

/** Available first, then Progressing, as kubectl shows them. */
function orderConditions(conditions: Condition[]): Condition[] {
  const rank = (c: Condition): number => (c.type === 'Available' ? 0 : c.type === 'Progressing' ? 1 : 2);
  return [...conditions].sort((a, b) => rank(a) - rank(b));
}

export function progressDeadlinePassed(d: Deployment, progressing: Condition, now: number): boolean {
  const deadline = (d.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1000;
  const last = Date.parse(progressing.lastUpdateTime ?? progressing.lastTransitionTime ?? '');
  return !Number.isNaN(last) && now > last + deadline;
}

/** Milliseconds until the progress deadline of a rollout still in progress passes; undefined when none is running. */
export function msUntilProgressDeadline(d: Deployment, status: DeploymentStatus, now: number): number | undefined {
  const progressing = findCondition(status.conditions, 'Progressing');
  if (!progressing || progressing.status !== 'True' || progressing.reason === 'NewReplicaSetAvailable') return undefined;
  if (d.spec.paused) return undefined;
  const deadline = (d.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1000;
  const last = Date.parse(progressing.lastUpdateTime ?? progressing.lastTransitionTime ?? '');
  if (Number.isNaN(last)) return undefined;
  return Math.max(0, last + deadline - now) + 1000;
}

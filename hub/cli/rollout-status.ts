/**
 * kubectl's rollout status viewers: from a Deployment's, DaemonSet's or StatefulSet's status, the line to show and
 * whether the rollout is done. A Deployment whose Progressing condition says ProgressDeadlineExceeded
 * throws RolloutFailedError.
 */
import type { DaemonSet, Deployment } from '../../protocol/objects/workloads.js';
import type { StatefulSet } from '../../protocol/objects/stateful-set.js';
import { RolloutFailedError } from './errors.js';

export interface RolloutState {
  message: string;
  done: boolean;
}

export function deploymentRolloutStatus(d: Deployment): RolloutState {
  const name = d.metadata.name;
  const st = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return { message: 'Waiting for deployment spec update to be observed...', done: false };
  }
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') throw new RolloutFailedError(`deployment "${name}" exceeded its progress deadline`);
  const want = d.spec.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if (updated < want) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...`, done: false };
  }
  if (total > updated) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...`, done: false };
  }
  if (available < updated) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`, done: false };
  }
  return { message: `deployment "${name}" successfully rolled out`, done: true };
}

export function daemonSetRolloutStatus(ds: DaemonSet): RolloutState {
  const name = ds.metadata.name;
  if ((ds.spec.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    throw new RolloutFailedError('rollout status is only available for RollingUpdate strategy type');
  }
  const st = ds.status ?? {};
  if ((ds.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return { message: 'Waiting for daemon set spec update to be observed...', done: false };
  }
  const desired = st.desiredNumberScheduled ?? 0;
  const updated = st.updatedNumberScheduled ?? 0;
  const available = st.numberAvailable ?? 0;
  if (updated < desired) {
    return { message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`, done: false };
  }
  if (available < desired) {
    return { message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`, done: false };
  }
  return { message: `daemon set "${name}" successfully rolled out`, done: true };
}

/** kubectl's StatefulSetStatusViewer: ready replicas, then the partitioned or the whole rolling update. */
export function statefulSetRolloutStatus(set: StatefulSet): RolloutState {
  const strategy = set.spec.updateStrategy;
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    throw new RolloutFailedError('rollout status is only available for RollingUpdate strategy type');
  }
  const st = set.status ?? {};
  if (!st.observedGeneration || (set.metadata.generation ?? 0) > st.observedGeneration) {
    return { message: 'Waiting for statefulset spec update to be observed...', done: false };
  }
  const want = set.spec.replicas ?? 1;
  const ready = st.readyReplicas ?? 0;
  if (ready < want) return { message: `Waiting for ${want - ready} pods to be ready...`, done: false };
  const updated = st.updatedReplicas ?? 0;
  if (strategy?.rollingUpdate?.partition !== undefined) {
    const target = want - strategy.rollingUpdate.partition;
    if (updated < target) return { message: `Waiting for partitioned roll out to finish: ${updated} out of ${target} new pods have been updated...`, done: false };
    return { message: `partitioned roll out complete: ${updated} new pods have been updated...`, done: true };
  }
  if (st.updateRevision !== st.currentRevision) {
    return { message: `waiting for statefulset rolling update to complete ${updated} pods at revision ${st.updateRevision ?? ''}...`, done: false };
  }
  return { message: `statefulset rolling update complete ${st.currentReplicas ?? 0} pods at revision ${st.currentRevision ?? ''}...`, done: true };
}

/**
 * The HorizontalPodAutoscaler controller (autoscaling/v2), as Kubernetes' podautoscaler
 * (horizontal.go): every sync period (15 s, `--horizontal-pod-autoscaler-sync-period`) each HPA reads
 * its target's scale (any kind with a scale subresource, protocol/scale.ts: Deployments, ReplicaSets,
 * StatefulSets once served), asks each metric for a replica count (replica-calculator.ts, from fresh
 * per-pod metrics only: metrics-source.ts), takes the largest, normalizes it (scaling-behavior.ts:
 * stabilization windows, behavior policies, min/max), writes the target's spec.replicas when it
 * changes, and records why: status (currentReplicas, desiredReplicas, currentMetrics, lastScaleTime),
 * conditions AbleToScale / ScalingActive / ScalingLimited with Kubernetes' reasons, and events
 * SuccessfulRescale ("New size: 4; reason: cpu resource utilization (percentage of request) above
 * target"), FailedGetScale, FailedGetResourceMetric, FailedComputeMetricsReplicas, FailedRescale.
 * The recommendations and scale events it remembers per HPA live in memory, as in Kubernetes: a hub
 * restart forgets them (the first sync after it starts a new window).
 */
import { isDeepStrictEqual } from 'node:util';
import { setCondition } from '../../../protocol/conditions.js';
import { kindByName } from '../../../protocol/kinds.js';
import { matchesSelector } from '../../../protocol/labels.js';
import type { Condition } from '../../../protocol/objects/meta.js';
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from '../../../protocol/objects/horizontal-pod-autoscaler.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { cpuToMillis, formatBytes, memoryToBytes } from '../../../protocol/quantity.js';
import { isScalableKind, scaleOf, type Scalable } from '../../../protocol/scale.js';
import { kubeTimestamp } from '../../../protocol/time.js';
import { NotFoundError } from '../../store/errors.js';
import { updateWithRetry } from '../../store/update-with-retry.js';
import type { Controller } from '../controller.js';
import { MetricsUnavailableError } from '../errors.js';
import { createReconcileLoop, loopController, objectKey, splitObjectKey } from '../reconcile-loop.js';
import { involvedObjectOf, type WorkloadControllerOptions } from '../replicaset.js';
import type { NodeLeases } from '../../leases/index.js';
import { createLeaseMetricsSource, type PodMetricsSource } from './metrics-source.js';
import { resourceReplicas, type CalculatorOptions, type PodFacts } from './replica-calculator.js';
import { newScalingHistory, normalizeDesiredReplicas, recordScaleEvent, type ScalingHistory } from './scaling-behavior.js';

export const HPA_CONTROLLER = 'horizontal-pod-autoscaler';
/** --horizontal-pod-autoscaler-sync-period. */
export const DEFAULT_HPA_SYNC_PERIOD_MS = 15_000;

export interface HpaControllerOptions extends WorkloadControllerOptions {
  leases: NodeLeases;
  /** How often every HPA is evaluated (default 15 s). */
  syncPeriodMs?: number;
  /** Where pod metrics come from (default: the agents' samples in the leases). */
  metrics?: PodMetricsSource;
  /** How old a node's pod sample may be before its pods count as missing (default 60 s). */
  metricsMaxAgeMs?: number;
  tolerance?: number;
  cpuInitializationPeriodMs?: number;
  initialReadinessDelayMs?: number;
  /** Scale-down stabilization of HPAs without a behavior, and the default window of those with one (default 300 s). */
  downscaleStabilizationMs?: number;
}

interface Proposal {
  replicas: number;
  name: string;
  status: MetricStatus;
}

function cpuText(millis: number): string {
  return `${Math.round(millis)}m`;
}

function valueText(resource: 'cpu' | 'memory', value: number): string {
  return resource === 'cpu' ? cpuText(value) : formatBytes(Math.round(value));
}

function containerRequest(pod: Pod, resource: 'cpu' | 'memory', container?: string): number | undefined {
  let sum = 0;
  const containers = container === undefined ? pod.spec.containers : pod.spec.containers.filter((c) => c.name === container);
  if (containers.length === 0) return undefined;
  for (const c of containers) {
    const q = c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource];
    if (q === undefined) return undefined;
    sum += resource === 'cpu' ? cpuToMillis(q) : memoryToBytes(q);
  }
  return sum;
}

function podFacts(pod: Pod, resource: 'cpu' | 'memory', container?: string): PodFacts {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : undefined;
  const request = containerRequest(pod, resource, container);
  return {
    name: pod.metadata.name,
    phase: pod.status?.phase ?? 'Pending',
    deleting: Boolean(pod.metadata.deletionTimestamp),
    ...(start !== undefined && Number.isFinite(start) ? { startTime: start } : {}),
    ...(ready ? { ready: { status: ready.status, ...(ready.lastTransitionTime ? { lastTransitionTime: Date.parse(ready.lastTransitionTime) } : {}) } } : {}),
    ...(request !== undefined ? { request } : {}),
  };
}

/** Kubernetes' metric name in SuccessfulRescale and ValidMetricFound. */
function metricName(spec: MetricSpec): string {
  const source = spec.type === 'ContainerResource' ? spec.containerResource! : spec.resource!;
  const kind = spec.type === 'ContainerResource' ? 'container resource' : 'resource';
  return source.target.type === 'Utilization' ? `${source.name} ${kind} utilization (percentage of request)` : `${source.name} ${kind}`;
}

export interface HpaController extends Controller {
  /** Evaluate every HPA now and resolve when done (tests, with a fake clock). */
  sync(): Promise<void>;
}

export async function createHpaController(opts: HpaControllerOptions): Promise<HpaController> {
  const { store, cache, clock, events } = opts;
  const logger = opts.logger.child({ controller: 'hpa' });
  const source = { component: HPA_CONTROLLER };
  const syncPeriodMs = opts.syncPeriodMs ?? DEFAULT_HPA_SYNC_PERIOD_MS;
  const metrics = opts.metrics ?? createLeaseMetricsSource({ leases: opts.leases, cache, clock, ...(opts.metricsMaxAgeMs !== undefined ? { maxAgeMs: opts.metricsMaxAgeMs } : {}) });
  const histories = new Map<string, ScalingHistory>();
  const say = (hpa: HorizontalPodAutoscaler, type: 'Normal' | 'Warning', reason: string, message: string): void => {
    void events.record(involvedObjectOf(hpa), type, reason, message, source);
  };

  function computeMetric(hpa: HorizontalPodAutoscaler, spec: MetricSpec, pods: readonly Pod[], currentReplicas: number): Proposal {
    const src = spec.type === 'ContainerResource' ? spec.containerResource! : spec.resource!;
    const container = spec.type === 'ContainerResource' ? spec.containerResource!.container : undefined;
    const facts = pods.map((p) => podFacts(p, src.name, container));
    const measured = metrics.podMetrics(pods, src.name, container);
    const calc: CalculatorOptions = {
      now: clock(),
      ...(opts.tolerance !== undefined ? { tolerance: opts.tolerance } : {}),
      ...(opts.cpuInitializationPeriodMs !== undefined ? { cpuInitializationPeriodMs: opts.cpuInitializationPeriodMs } : {}),
      ...(opts.initialReadinessDelayMs !== undefined ? { initialReadinessDelayMs: opts.initialReadinessDelayMs } : {}),
    };
    const target =
      src.target.type === 'Utilization'
        ? { utilization: src.target.averageUtilization! }
        : { averageValue: src.name === 'cpu' ? cpuToMillis(src.target.averageValue!) : memoryToBytes(src.target.averageValue!) };
    let result;
    try {
      result = resourceReplicas(currentReplicas, facts, measured, src.name, target, calc);
    } catch (err) {
      if (!(err instanceof MetricsUnavailableError)) throw err;
      throw new MetricsUnavailableError(`unable to get metrics for resource ${src.name}: ${err.message}`, { cause: err });
    }
    const current = { averageValue: valueText(src.name, result.averageValue), ...(result.utilization !== undefined ? { averageUtilization: result.utilization } : {}) };
    const status: MetricStatus =
      spec.type === 'ContainerResource'
        ? { type: 'ContainerResource', containerResource: { name: src.name, container: container!, current } }
        : { type: 'Resource', resource: { name: src.name, current } };
    return { replicas: result.replicas, name: metricName(spec), status };
  }

  async function reconcile(key: string): Promise<void> {
    const { namespace, name } = splitObjectKey(key);
    const hpa = await store.get<HorizontalPodAutoscaler>({ kind: 'HorizontalPodAutoscaler', namespace, name });
    if (!hpa || hpa.metadata.deletionTimestamp) {
      for (const k of histories.keys()) if (k.startsWith(`${key}/`)) histories.delete(k);
      return;
    }
    const historyKey = `${key}/${hpa.metadata.uid ?? ''}`;
    const now = clock();
    const stamp = kubeTimestamp(now);
    let conditions: Condition[] = (hpa.status?.conditions ?? []) as Condition[];
    const cond = (type: string, status: 'True' | 'False', reason: string, message: string): void => {
      conditions = setCondition(conditions, { type, status, reason, message }, stamp);
    };
    const ref = hpa.spec.scaleTargetRef;
    const reference = `${ref.kind}/${namespace}/${ref.name}`;

    const writeStatus = async (status: NonNullable<HorizontalPodAutoscaler['status']>): Promise<void> => {
      const next = { ...status, conditions: conditions.map(({ type, status: s, reason, message, lastTransitionTime }) => ({ type, status: s, ...(reason ? { reason } : {}), ...(message ? { message } : {}), ...(lastTransitionTime ? { lastTransitionTime } : {}) })) };
      await updateWithRetry<HorizontalPodAutoscaler>(store, { kind: 'HorizontalPodAutoscaler', namespace, name }, (cur) => {
        if (cur.metadata.uid !== hpa.metadata.uid || isDeepStrictEqual(cur.status, next)) return undefined;
        return { ...cur, status: next };
      });
    };
    const keepStatus = (currentReplicas: number): NonNullable<HorizontalPodAutoscaler['status']> => ({
      ...(hpa.status?.lastScaleTime ? { lastScaleTime: hpa.status.lastScaleTime } : {}),
      currentReplicas,
      desiredReplicas: hpa.status?.desiredReplicas ?? 0,
      ...(hpa.status?.currentMetrics ? { currentMetrics: hpa.status.currentMetrics } : {}),
    });

    // the target's scale
    const info = kindByName(ref.kind);
    const group = ref.apiVersion?.includes('/') ? ref.apiVersion.split('/')[0] : '';
    let target: Scalable | undefined;
    let failure: string | undefined;
    if (!info || !isScalableKind(ref.kind) || (ref.apiVersion !== undefined && group !== info.group)) {
      failure = `no matches for kind "${ref.kind}" in group "${group}" with a scale subresource`;
    } else {
      target = await store.get<Scalable>({ kind: ref.kind, namespace, name: ref.name });
      if (!target) failure = `${info.plural}${info.group ? `.${info.group}` : ''} "${ref.name}" not found`;
    }
    if (!target || failure) {
      say(hpa, 'Warning', 'FailedGetScale', failure!);
      cond('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${failure}`);
      await writeStatus(keepStatus(hpa.status?.currentReplicas ?? 0));
      return;
    }
    cond('AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const scale = scaleOf(target);
    const currentReplicas = scale.spec.replicas;
    let history = histories.get(historyKey);
    if (!history) {
      history = newScalingHistory(currentReplicas, now);
      histories.set(historyKey, history);
    }
    const minReplicas = hpa.spec.minReplicas ?? 1;
    let desiredReplicas = 0;
    let rescaleReason = '';
    let rescale = true;
    let metricStatuses: MetricStatus[] | undefined;

    if (currentReplicas === 0 && minReplicas !== 0) {
      desiredReplicas = 0;
      rescale = false;
      cond('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (currentReplicas > hpa.spec.maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desiredReplicas = hpa.spec.maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desiredReplicas = minReplicas;
    } else {
      const pods = cache
        .kind<Pod>('Pod')
        .list({ namespace })
        .filter((p) => matchesSelector(p.metadata.labels, target.spec.selector));
      const specs = hpa.spec.metrics ?? [];
      const proposals: Proposal[] = [];
      const statuses: MetricStatus[] = [];
      const errors: Error[] = [];
      for (const spec of specs) {
        try {
          const p = computeMetric(hpa, spec, target.spec.selector ? pods : [], currentReplicas);
          proposals.push(p);
          statuses.push(p.status);
        } catch (err) {
          if (!(err instanceof MetricsUnavailableError)) throw err;
          errors.push(err);
          statuses.push({ type: '' });
          const reason = spec.type === 'ContainerResource' ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric';
          say(hpa, 'Warning', reason, err.message);
          cond('ScalingActive', 'False', reason, `the HPA was unable to compute the replica count: ${err.message}`);
        }
      }
      const best = proposals.reduce<Proposal | undefined>((b, p) => (b === undefined || p.replicas > b.replicas ? p : b), undefined);
      // every metric failed, or some did and the rest would scale down: do nothing (Kubernetes' rule)
      if (!best || (errors.length > 0 && best.replicas < currentReplicas)) {
        const message = errors.length === specs.length ? `invalid metrics (${errors.length} invalid out of ${specs.length}), first error is: ${errors[0]?.message ?? 'no metrics'}` : `${errors.length} invalid metrics out of ${specs.length} and the others would scale down`;
        say(hpa, 'Warning', 'FailedComputeMetricsReplicas', message);
        logger.info({ hpa: key, error: message }, 'no replica count from the metrics');
        await writeStatus({ ...keepStatus(currentReplicas), currentMetrics: statuses.filter((s) => s.type !== '') });
        return;
      }
      metricStatuses = statuses.filter((s) => s.type !== '');
      if (errors.length === 0) cond('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${best.name}`);
      desiredReplicas = best.replicas;
      if (desiredReplicas > currentReplicas) rescaleReason = `${best.name} above target`;
      if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
      const normalized = normalizeDesiredReplicas(hpa, history, currentReplicas, desiredReplicas, now, opts.downscaleStabilizationMs);
      cond('AbleToScale', normalized.ableToScale.status, normalized.ableToScale.reason, normalized.ableToScale.message);
      cond('ScalingLimited', normalized.scalingLimited.status, normalized.scalingLimited.reason, normalized.scalingLimited.message);
      desiredReplicas = normalized.replicas;
      rescale = desiredReplicas !== currentReplicas;
    }

    let lastScaleTime = hpa.status?.lastScaleTime;
    if (rescale) {
      try {
        await updateWithRetry<Scalable>(store, { kind: ref.kind, namespace, name: ref.name }, (cur) =>
          cur.metadata.uid !== target.metadata.uid || cur.spec.replicas === desiredReplicas ? undefined : { ...cur, spec: { ...cur.spec, replicas: desiredReplicas } },
        );
      } catch (err) {
        const message = err instanceof NotFoundError ? `${ref.kind} ${ref.name} not found` : (err as Error).message;
        say(hpa, 'Warning', 'FailedRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${message}`);
        cond('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${message}`);
        await writeStatus(keepStatus(currentReplicas));
        if (err instanceof NotFoundError) return;
        throw err;
      }
      cond('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desiredReplicas}`);
      say(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
      recordScaleEvent(hpa, history, currentReplicas, desiredReplicas, now);
      lastScaleTime = stamp;
      logger.info({ hpa: key, reference, from: currentReplicas, to: desiredReplicas, reason: rescaleReason }, 'rescaled');
    } else {
      desiredReplicas = currentReplicas;
    }
    await writeStatus({
      ...(hpa.metadata.generation !== undefined ? { observedGeneration: hpa.metadata.generation } : {}),
      ...(lastScaleTime ? { lastScaleTime } : {}),
      currentReplicas,
      desiredReplicas,
      ...(metricStatuses ? { currentMetrics: metricStatuses } : {}),
    });
  }

  const loop = createReconcileLoop({
    name: HPA_CONTROLLER,
    logger,
    reconcile,
    resyncMs: syncPeriodMs,
    listKeys: async () => cache.kind<HorizontalPodAutoscaler>('HorizontalPodAutoscaler').list().map(objectKey),
  });

  const controller = loopController(loop, logger, () => [
    cache.kind<HorizontalPodAutoscaler>('HorizontalPodAutoscaler').subscribe((e) => {
      // a new HPA, or a changed spec, is evaluated at once; its own status writes wait for the next period
      if (e.type === 'DELETED') {
        loop.enqueue(objectKey(e.object));
        return;
      }
      if (e.type === 'ADDED' || e.old?.metadata.generation !== e.object.metadata.generation) loop.enqueue(objectKey(e.object));
    }),
  ]);
  return {
    ...controller,
    async sync() {
      for (const key of cache.kind<HorizontalPodAutoscaler>('HorizontalPodAutoscaler').list().map(objectKey)) loop.enqueue(key);
      await loop.idle();
    },
  };
}

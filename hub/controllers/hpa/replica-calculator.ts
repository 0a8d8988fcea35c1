/**
 * Kubernetes' replica calculator (pkg/controller/podautoscaler/replica_calculator.go), pure: from the
 * target's pods, their metrics and their requests, the replica count a resource metric asks for.
 *
 * - Pods being deleted or Failed are left out; Pending pods and, for CPU, pods not yet Ready inside the
 *   CPU initialization period (or whose sample predates their last Ready change plus one window), and
 *   pods Ready=False that have never been ready, are "unready": left out, and on a scale-up counted as
 *   using nothing.
 * - Pods without a fresh metric are "missing": on a scale-down counted as using 100% of their request
 *   (of the target, for an average value), on a scale-up as 0%. A pod on a node that is offline or
 *   NotReady has no fresh metric (metrics-source.ts), so it can never make the workload look idle.
 * - Within the tolerance (10% by default) of the target nothing changes; a recomputation with the
 *   missing and unready pods that flips the direction changes nothing either.
 */
import { MetricsUnavailableError } from '../errors.js';

export const DEFAULT_TOLERANCE = 0.1;
/** --horizontal-pod-autoscaler-cpu-initialization-period. */
export const DEFAULT_CPU_INITIALIZATION_PERIOD_MS = 5 * 60_000;
/** --horizontal-pod-autoscaler-initial-readiness-delay. */
export const DEFAULT_INITIAL_READINESS_DELAY_MS = 30_000;

/** What the calculator needs of one pod. */
export interface PodFacts {
  name: string;
  phase: string;
  deleting: boolean;
  /** Epoch ms of status.startTime. */
  startTime?: number;
  /** The Ready condition, when there is one. */
  ready?: { status: string; lastTransitionTime?: number };
  /** The pod's request of the resource (sum over the containers counted), or undefined when a container has none. */
  request?: number;
}

/** One pod's fresh measurement, in the resource's unit (CPU millicores, memory bytes). */
export interface PodMetric {
  value: number;
  /** Epoch ms the sample was taken. */
  timestamp: number;
  windowMs: number;
}

export interface CalculatorOptions {
  now: number;
  tolerance?: number;
  cpuInitializationPeriodMs?: number;
  initialReadinessDelayMs?: number;
}

export interface Grouping {
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

/** groupPods: which pods count, which are unready, which lack metrics, which are left out altogether. */
export function groupPods(pods: readonly PodFacts[], metrics: ReadonlyMap<string, PodMetric>, resource: 'cpu' | 'memory', opts: CalculatorOptions): Grouping {
  const cpuInit = opts.cpuInitializationPeriodMs ?? DEFAULT_CPU_INITIALIZATION_PERIOD_MS;
  const readinessDelay = opts.initialReadinessDelayMs ?? DEFAULT_INITIAL_READINESS_DELAY_MS;
  const out: Grouping = { readyPodCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    if (pod.deleting || pod.phase === 'Failed') {
      out.ignored.add(pod.name);
      continue;
    }
    if (pod.phase === 'Pending') {
      out.unready.add(pod.name);
      continue;
    }
    const metric = metrics.get(pod.name);
    if (!metric) {
      out.missing.add(pod.name);
      continue;
    }
    if (resource === 'cpu') {
      let unready: boolean;
      if (!pod.ready || pod.startTime === undefined) {
        unready = true;
      } else if (pod.startTime + cpuInit > opts.now) {
        // still initializing: unready, or its sample does not cover a whole window since it became ready
        unready = pod.ready.status === 'False' || metric.timestamp < (pod.ready.lastTransitionTime ?? 0) + metric.windowMs;
      } else {
        // past the initialization period: only a pod that has never been ready is left out
        unready = pod.ready.status === 'False' && pod.startTime + readinessDelay > (pod.ready.lastTransitionTime ?? 0);
      }
      if (unready) {
        out.unready.add(pod.name);
        continue;
      }
    }
    out.readyPodCount++;
  }
  return out;
}

export interface ResourceReplicas {
  replicas: number;
  /** Average utilization, percent of request (utilization targets). */
  utilization?: number;
  /** Average use per pod, in the resource's unit. */
  averageValue: number;
}

function usageRatioOf(metrics: ReadonlyMap<string, PodMetric>, requests: ReadonlyMap<string, number>, target: { utilization?: number; averageValue?: number }): { ratio: number; utilization?: number; average: number } {
  let total = 0;
  let requested = 0;
  let counted = 0;
  for (const [name, m] of metrics) {
    total += m.value;
    counted++;
    const r = requests.get(name);
    if (r !== undefined) requested += r;
  }
  const average = counted > 0 ? total / counted : 0;
  if (target.utilization !== undefined) {
    if (requested <= 0) throw new MetricsUnavailableError('no metrics returned matched known pods');
    const utilization = Math.trunc((total * 100) / requested);
    return { ratio: utilization / target.utilization, utilization, average };
  }
  return { ratio: average / target.averageValue!, average };
}

/**
 * GetResourceReplicas (a Utilization target, percent of request) and GetRawResourceReplicas (an
 * AverageValue target) in one: `target` names one of the two.
 */
export function resourceReplicas(
  currentReplicas: number,
  pods: readonly PodFacts[],
  metricsIn: ReadonlyMap<string, PodMetric>,
  resource: 'cpu' | 'memory',
  target: { utilization?: number; averageValue?: number },
  opts: CalculatorOptions,
): ResourceReplicas {
  const tolerance = opts.tolerance ?? DEFAULT_TOLERANCE;
  if (pods.length === 0) throw new MetricsUnavailableError('no pods returned by selector while calculating replica count');
  const { readyPodCount, unready, missing, ignored } = groupPods(pods, metricsIn, resource, opts);
  const live = pods.filter((p) => !ignored.has(p.name));
  const requests = new Map<string, number>();
  if (target.utilization !== undefined) {
    for (const p of live) {
      if (p.request === undefined || p.request <= 0) throw new MetricsUnavailableError(`missing request for ${resource} in pod ${p.name}`);
      requests.set(p.name, p.request);
    }
  }
  const metrics = new Map([...metricsIn].filter(([name]) => pods.some((p) => p.name === name) && !unready.has(name) && !ignored.has(name)));
  if (metrics.size === 0) throw new MetricsUnavailableError(`did not receive metrics for targeted pods (pods might be unready or on nodes that are not reporting)`);

  const first = usageRatioOf(metrics, requests, target);
  const result = (replicas: number): ResourceReplicas => ({ replicas, averageValue: first.average, ...(first.utilization !== undefined ? { utilization: first.utilization } : {}) });
  const rebalanceUnready = unready.size > 0 && first.ratio > 1;
  if (!rebalanceUnready && missing.size === 0) {
    if (Math.abs(1 - first.ratio) <= tolerance) return result(currentReplicas);
    return result(Math.ceil(first.ratio * readyPodCount));
  }

  // missing pods: 100% of the request (or the target) on a scale-down, nothing on a scale-up
  for (const name of missing) {
    const full = target.utilization !== undefined ? requests.get(name)! : target.averageValue!;
    if (first.ratio < 1) metrics.set(name, { value: full, timestamp: opts.now, windowMs: 0 });
    else if (first.ratio > 1) metrics.set(name, { value: 0, timestamp: opts.now, windowMs: 0 });
  }
  if (rebalanceUnready) for (const name of unready) metrics.set(name, { value: 0, timestamp: opts.now, windowMs: 0 });

  const next = usageRatioOf(metrics, requests, target).ratio;
  if (Math.abs(1 - next) <= tolerance || (first.ratio < 1 && next > 1) || (first.ratio > 1 && next < 1)) return result(currentReplicas);
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1 && replicas > currentReplicas) || (next > 1 && replicas < currentReplicas)) return result(currentReplicas);
  return result(replicas);
}

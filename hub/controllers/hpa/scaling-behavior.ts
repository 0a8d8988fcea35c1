/**
 * From the replica count the metrics ask for to the one the HPA sets, as Kubernetes' horizontal.go
 * does it, pure but for the per-HPA memory it is handed (`ScalingHistory`, kept by the controller):
 *
 * - stabilization: the recommendations of the last stabilizationWindowSeconds are remembered; a
 *   scale-down takes the highest of them (default window 300 s), a scale-up the lowest (default 0 s);
 * - behavior policies: Pods (add/remove at most N pods) and Percent (at most N% of the replicas at the
 *   start of the period) over periodSeconds, counting the changes made within the period;
 *   selectPolicy Max (the policy allowing the largest change, the default), Min, or Disabled;
 * - minReplicas/maxReplicas;
 * - without a behavior: Kubernetes' older rules (the 300 s scale-down stabilization and a scale-up of
 *   at most max(2 × current, 4)).
 *
 * The conditions it sets (AbleToScale ScaleUpStabilized/ScaleDownStabilized/ReadyForNewScale and
 * ScalingLimited TooManyReplicas/TooFewReplicas/ScaleUpLimit/ScaleDownLimit/DesiredWithinRange) come
 * back with the count, in Kubernetes' words.
 */
import type { HPAScalingRules, HorizontalPodAutoscaler } from '../../../protocol/objects/horizontal-pod-autoscaler.js';

/** --horizontal-pod-autoscaler-downscale-stabilization. */
export const DEFAULT_DOWNSCALE_STABILIZATION_MS = 300_000;
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

export interface TimestampedRecommendation {
  replicas: number;
  at: number;
}
export interface ScaleEvent {
  change: number;
  at: number;
  outdated: boolean;
}

/** What the controller remembers of one HPA between syncs (Kubernetes keeps the same, in memory). */
export interface ScalingHistory {
  recommendations: TimestampedRecommendation[];
  scaleUpEvents: ScaleEvent[];
  scaleDownEvents: ScaleEvent[];
}

export function newScalingHistory(currentReplicas: number, now: number): ScalingHistory {
  return { recommendations: [{ replicas: currentReplicas, at: now }], scaleUpEvents: [], scaleDownEvents: [] };
}

export interface ConditionText {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface Normalized {
  replicas: number;
  ableToScale: ConditionText;
  scalingLimited: ConditionText;
}

const READY_FOR_NEW_SCALE: ConditionText = { status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
const SCALE_DOWN_STABILIZED = 'recent recommendations were higher than current one, applying the highest recent recommendation';
const SCALE_UP_STABILIZED = 'recent recommendations were lower than current one, applying the lowest recent recommendation';
const WITHIN_RANGE = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };

function limited(desired: number, stabilized: number, reason: string, message: string): ConditionText {
  return { status: desired === stabilized ? 'False' : 'True', reason, message };
}

/** Remember `replicas` now, reusing the slot of one older than `obsoleteBeforeMs`. */
function remember(history: ScalingHistory, replicas: number, now: number, obsoleteBefore: number): void {
  const old = history.recommendations.findIndex((r) => r.at < obsoleteBefore);
  if (old >= 0) history.recommendations[old] = { replicas, at: now };
  else history.recommendations.push({ replicas, at: now });
}

/** normalizeDesiredReplicas: no behavior given. */
function normalizeLegacy(history: ScalingHistory, current: number, desired: number, min: number, max: number, now: number, downscaleStabilizationMs: number): Normalized {
  const cutoff = now - downscaleStabilizationMs;
  let stabilized = desired;
  for (const r of history.recommendations) if (r.at >= cutoff && r.replicas > stabilized) stabilized = r.replicas;
  remember(history, desired, now, cutoff);
  const ableToScale: ConditionText = stabilized !== desired ? { status: 'True', reason: 'ScaleDownStabilized', message: SCALE_DOWN_STABILIZED } : READY_FOR_NEW_SCALE;

  const scaleUpLimit = Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM);
  const [maxAllowed, upReason, upMessage] =
    max > scaleUpLimit
      ? [scaleUpLimit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']
      : [max, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
  let replicas = stabilized;
  let reason = WITHIN_RANGE.reason;
  let message = WITHIN_RANGE.message;
  if (stabilized < min) {
    replicas = min;
    reason = 'TooFewReplicas';
    message = 'the desired replica count is less than the minimum replica count';
  } else if (stabilized > maxAllowed) {
    replicas = maxAllowed;
    reason = upReason;
    message = upMessage;
  }
  return { replicas, ableToScale, scalingLimited: limited(replicas, stabilized, reason, message) };
}

function changeInPeriod(periodSeconds: number, events: readonly ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.filter((e) => e.at > cutoff).reduce((sum, e) => sum + e.change, 0);
}

/** calculateScaleUpLimitWithScalingRules: the most replicas the scale-up policies allow now. */
export function scaleUpLimit(current: number, events: readonly ScaleEvent[], rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result: number | undefined;
  for (const p of rules.policies ?? []) {
    const periodStart = current - changeInPeriod(p.periodSeconds, events, now);
    const proposed = p.type === 'Pods' ? periodStart + p.value : Math.ceil(periodStart * (1 + p.value / 100));
    result = result === undefined ? proposed : pick(result, proposed);
  }
  return result ?? current;
}

/** calculateScaleDownLimitWithBehaviors: the fewest replicas the scale-down policies allow now. */
export function scaleDownLimit(current: number, events: readonly ScaleEvent[], rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result: number | undefined;
  for (const p of rules.policies ?? []) {
    const periodStart = current + changeInPeriod(p.periodSeconds, events, now);
    const proposed = p.type === 'Pods' ? periodStart - p.value : Math.trunc(periodStart * (1 - p.value / 100));
    result = result === undefined ? proposed : pick(result, proposed);
  }
  return result ?? current;
}

/** normalizeDesiredReplicasWithBehaviors. `behavior` has the API's defaults filled in (protocol/hpa-defaults.ts). */
function normalizeWithBehavior(
  history: ScalingHistory,
  behavior: { scaleUp: HPAScalingRules; scaleDown: HPAScalingRules },
  current: number,
  desired: number,
  min: number,
  max: number,
  now: number,
  downscaleStabilizationMs: number,
): Normalized {
  const upWindow = behavior.scaleUp.stabilizationWindowSeconds ?? 0;
  const downWindow = behavior.scaleDown.stabilizationWindowSeconds ?? downscaleStabilizationMs / 1000;
  const scalingUp = desired >= current;
  const windowSeconds = scalingUp ? upWindow : downWindow;
  const cutoff = now - windowSeconds * 1000;
  let stabilized = desired;
  for (const r of history.recommendations) {
    if (r.at > cutoff) stabilized = scalingUp ? Math.min(r.replicas, stabilized) : Math.max(r.replicas, stabilized);
  }
  remember(history, desired, now, now - Math.max(upWindow, downWindow) * 1000);
  const ableToScale: ConditionText =
    stabilized !== desired
      ? { status: 'True', reason: scalingUp ? 'ScaleUpStabilized' : 'ScaleDownStabilized', message: scalingUp ? SCALE_UP_STABILIZED : SCALE_DOWN_STABILIZED }
      : READY_FOR_NEW_SCALE;

  if (stabilized > current) {
    const limit = Math.max(scaleUpLimit(current, history.scaleUpEvents, behavior.scaleUp, now), current);
    const [allowed, reason, message] =
      max > limit
        ? [limit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']
        : [max, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
    if (stabilized > allowed) return { replicas: allowed, ableToScale, scalingLimited: limited(allowed, stabilized, reason, message) };
  } else if (stabilized < current) {
    const limit = Math.min(scaleDownLimit(current, history.scaleDownEvents, behavior.scaleDown, now), current);
    const [allowed, reason, message] =
      min < limit
        ? [limit, 'ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate']
        : [min, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
    if (stabilized < allowed) return { replicas: allowed, ableToScale, scalingLimited: limited(allowed, stabilized, reason, message) };
  }
  return { replicas: stabilized, ableToScale, scalingLimited: limited(stabilized, stabilized, WITHIN_RANGE.reason, WITHIN_RANGE.message) };
}

export function normalizeDesiredReplicas(
  hpa: HorizontalPodAutoscaler,
  history: ScalingHistory,
  current: number,
  desired: number,
  now: number,
  downscaleStabilizationMs = DEFAULT_DOWNSCALE_STABILIZATION_MS,
): Normalized {
  const min = hpa.spec.minReplicas ?? 1;
  const b = hpa.spec.behavior;
  if (!b) return normalizeLegacy(history, current, desired, min, hpa.spec.maxReplicas, now, downscaleStabilizationMs);
  return normalizeWithBehavior(history, { scaleUp: b.scaleUp ?? {}, scaleDown: b.scaleDown ?? {} }, current, desired, min, hpa.spec.maxReplicas, now, downscaleStabilizationMs);
}

function longestPeriod(rules: HPAScalingRules | undefined): number {
  return Math.max(0, ...(rules?.policies ?? []).map((p) => p.periodSeconds));
}

/** storeScaleEvent: remember a rescale for the policies' periods (only with a behavior, as Kubernetes). */
export function recordScaleEvent(hpa: HorizontalPodAutoscaler, history: ScalingHistory, previous: number, next: number, now: number): void {
  const b = hpa.spec.behavior;
  if (!b) return;
  const up = next > previous;
  const events = up ? history.scaleUpEvents : history.scaleDownEvents;
  const cutoff = now - longestPeriod(up ? b.scaleUp : b.scaleDown) * 1000;
  for (const e of events) if (e.at < cutoff) e.outdated = true;
  const event = { change: Math.abs(next - previous), at: now, outdated: false };
  const reuse = events.findIndex((e) => e.outdated);
  if (reuse >= 0) events[reuse] = event;
  else events.push(event);
}

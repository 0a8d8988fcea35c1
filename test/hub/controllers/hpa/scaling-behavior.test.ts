import { describe, expect, it } from 'vitest';
import { defaultHorizontalPodAutoscaler } from '../../../../protocol/hpa-defaults.js';
import type { HorizontalPodAutoscaler } from '../../../../protocol/objects/horizontal-pod-autoscaler.js';
import { newScalingHistory, normalizeDesiredReplicas, recordScaleEvent, scaleDownLimit, scaleUpLimit } from '../../../../hub/controllers/hpa/scaling-behavior.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const S = 1000;

function hpa(spec: Partial<HorizontalPodAutoscaler['spec']> = {}): HorizontalPodAutoscaler {
  return defaultHorizontalPodAutoscaler({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'h', namespace: 'default' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, minReplicas: 1, maxReplicas: 10, ...spec },
  });
}

describe('scaling behavior (horizontal.go)', () => {
  it('holds a scale-down for the stabilization window (300 s by default without a behavior)', () => {
    const h = hpa();
    const history = newScalingHistory(4, T0);
    let n = normalizeDesiredReplicas(h, history, 4, 1, T0 + 15 * S);
    expect(n.replicas).toBe(4);
    expect(n.ableToScale.reason).toBe('ScaleDownStabilized');
    n = normalizeDesiredReplicas(h, history, 4, 1, T0 + 200 * S);
    expect(n.replicas).toBe(4);
    n = normalizeDesiredReplicas(h, history, 4, 1, T0 + 301 * S);
    // the 4 at T0 has aged out; the 1s of 15 s and 200 s remain
    expect(n.replicas).toBe(1);
    expect(n.ableToScale.reason).toBe('ReadyForNewScale');
  });

  it('takes the highest recommendation within a short configured scale-down window', () => {
    const h = hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 30 } } });
    const history = newScalingHistory(4, T0);
    expect(normalizeDesiredReplicas(h, history, 4, 3, T0 + 10 * S).replicas).toBe(4);
    expect(normalizeDesiredReplicas(h, history, 4, 2, T0 + 20 * S).replicas).toBe(4);
    expect(normalizeDesiredReplicas(h, history, 4, 1, T0 + 35 * S).replicas).toBe(3); // 4 aged out; max(3, 2, 1)
    expect(normalizeDesiredReplicas(h, history, 4, 1, T0 + 60 * S).replicas).toBe(1);
  });

  it('scales up at once by default, and takes the lowest recent recommendation with a scale-up window', () => {
    const fast = hpa({ behavior: {} });
    expect(normalizeDesiredReplicas(fast, newScalingHistory(2, T0), 2, 4, T0 + S).replicas).toBe(4);
    const slow = hpa({ behavior: { scaleUp: { stabilizationWindowSeconds: 60 } } });
    const history = newScalingHistory(2, T0);
    const n = normalizeDesiredReplicas(slow, history, 2, 5, T0 + 10 * S);
    expect(n.replicas).toBe(2);
    expect(n.ableToScale.reason).toBe('ScaleUpStabilized');
    expect(normalizeDesiredReplicas(slow, history, 2, 5, T0 + 61 * S).replicas).toBe(5);
  });

  it('limits a scale-up by the default policies: the larger of 4 pods or 100% per 15 s', () => {
    const h = hpa({ maxReplicas: 100, behavior: {} });
    let n = normalizeDesiredReplicas(h, newScalingHistory(1, T0), 1, 50, T0 + S);
    expect(n.replicas).toBe(5); // 1 + 4 pods beats 1 × 200%
    expect(n.scalingLimited).toMatchObject({ status: 'True', reason: 'ScaleUpLimit' });
    n = normalizeDesiredReplicas(h, newScalingHistory(10, T0), 10, 50, T0 + S);
    expect(n.replicas).toBe(20); // 100% beats 4 pods
  });

  it('counts the changes made within the period, and selectPolicy Min and Disabled', () => {
    const h = hpa({ maxReplicas: 100, behavior: { scaleUp: { policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } } });
    const history = newScalingHistory(2, T0);
    expect(normalizeDesiredReplicas(h, history, 2, 10, T0 + S).replicas).toBe(4);
    recordScaleEvent(h, history, 2, 4, T0 + S);
    // 30 s later the period still holds the +2: no more
    expect(scaleUpLimit(4, history.scaleUpEvents, h.spec.behavior!.scaleUp!, T0 + 31 * S)).toBe(4);
    expect(normalizeDesiredReplicas(h, history, 4, 10, T0 + 31 * S).replicas).toBe(4);
    // after the period: +2 again
    expect(scaleUpLimit(4, history.scaleUpEvents, h.spec.behavior!.scaleUp!, T0 + 62 * S)).toBe(6);

    const rules = { selectPolicy: 'Min' as const, policies: [{ type: 'Pods' as const, value: 4, periodSeconds: 15 }, { type: 'Percent' as const, value: 100, periodSeconds: 15 }] };
    expect(scaleUpLimit(10, [], rules, T0)).toBe(14);
    expect(scaleDownLimit(10, [], rules, T0)).toBe(6); // Min: the smaller change (4 pods, not 100%)
    expect(scaleDownLimit(10, [], { ...rules, selectPolicy: 'Max' }, T0)).toBe(0);
    const disabled = hpa({ behavior: { scaleDown: { selectPolicy: 'Disabled' } } });
    const n = normalizeDesiredReplicas(disabled, newScalingHistory(5, T0 - 400 * S), 5, 1, T0);
    expect(n.replicas).toBe(5);
    expect(n.scalingLimited).toMatchObject({ status: 'True', reason: 'ScaleDownLimit' });
  });

  it('limits a scale-down by a Percent policy (rounded down)', () => {
    const h = hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] } } });
    const history = newScalingHistory(9, T0);
    expect(normalizeDesiredReplicas(h, history, 9, 1, T0 + S).replicas).toBe(4); // trunc(9 × 0.5)
    recordScaleEvent(h, history, 9, 4, T0 + S);
    expect(normalizeDesiredReplicas(h, history, 4, 1, T0 + 30 * S).replicas).toBe(4); // period start 9 → 4 already
  });

  it('clamps to minReplicas and maxReplicas with the conditions Kubernetes sets', () => {
    const h = hpa({ minReplicas: 2, maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } });
    let n = normalizeDesiredReplicas(h, newScalingHistory(4, T0), 4, 9, T0 + S);
    expect(n.replicas).toBe(5);
    expect(n.scalingLimited).toEqual({ status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
    n = normalizeDesiredReplicas(h, newScalingHistory(4, T0), 4, 1, T0 + S);
    expect(n.replicas).toBe(2);
    expect(n.scalingLimited.reason).toBe('TooFewReplicas');
    n = normalizeDesiredReplicas(h, newScalingHistory(4, T0), 4, 3, T0 + S);
    expect(n.scalingLimited).toMatchObject({ status: 'False', reason: 'DesiredWithinRange' });
  });

  it('without a behavior scales up by at most max(2 × current, 4)', () => {
    const h = hpa({ maxReplicas: 100 });
    expect(normalizeDesiredReplicas(h, newScalingHistory(1, T0), 1, 50, T0 + S).replicas).toBe(4);
    expect(normalizeDesiredReplicas(h, newScalingHistory(10, T0), 10, 50, T0 + S).replicas).toBe(20);
  });
});

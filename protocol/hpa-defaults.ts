/**
 * What kube-apiserver's autoscaling/v2 defaulting fills in on an HPA: minReplicas 1, a CPU target of
 * 80% utilization when no metric is given, and, when a behavior is given, every rule it leaves out
 * (scale up: no stabilization, the larger of 100% or 4 pods per 15 s; scale down: 100% per 15 s, the
 * stabilization window left unset for the controller's default of 300 s). Without a behavior the
 * controller applies Kubernetes' older fixed rules (horizontal.go's normalizeDesiredReplicas).
 */
import type { HPAScalingRules, HorizontalPodAutoscaler } from './objects/horizontal-pod-autoscaler.js';

export const DEFAULT_CPU_UTILIZATION = 80;

export function defaultScaleUpRules(rules: HPAScalingRules | undefined): HPAScalingRules {
  return {
    ...rules,
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? 0,
    selectPolicy: rules?.selectPolicy ?? 'Max',
    policies: rules?.policies ?? [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
  };
}

export function defaultScaleDownRules(rules: HPAScalingRules | undefined): HPAScalingRules {
  return {
    ...rules,
    ...(rules?.stabilizationWindowSeconds !== undefined ? { stabilizationWindowSeconds: rules.stabilizationWindowSeconds } : {}),
    selectPolicy: rules?.selectPolicy ?? 'Max',
    policies: rules?.policies ?? [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  };
}

export function defaultHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): HorizontalPodAutoscaler {
  const spec = { ...hpa.spec };
  spec.minReplicas ??= 1;
  if (!spec.metrics || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  if (spec.behavior) spec.behavior = { scaleUp: defaultScaleUpRules(spec.behavior.scaleUp), scaleDown: defaultScaleDownRules(spec.behavior.scaleDown) };
  return { ...hpa, spec };
}

/**
 * autoscaling/v1 HorizontalPodAutoscaler, the older form kubectl 1.32's `autoscale` writes: a CPU
 * target only (targetCPUUtilizationPercentage). Drover stores autoscaling/v2 and converts, as
 * kube-apiserver does: v1 → v2 makes the CPU target a Resource metric (the v2 fields a v1 client
 * cannot see, other metrics and the behavior, are kept from the stored object on update); v2 → v1
 * shows the CPU utilization target and current value only.
 */
import { z } from 'zod';
import type { HorizontalPodAutoscaler, MetricSpec } from './objects/horizontal-pod-autoscaler.js';
import { objectMetaSchema } from './objects/meta.js';

export const horizontalPodAutoscalerV1Schema = z.strictObject({
  apiVersion: z.literal('autoscaling/v1'),
  kind: z.literal('HorizontalPodAutoscaler'),
  metadata: objectMetaSchema,
  spec: z.strictObject({
    scaleTargetRef: z.strictObject({ apiVersion: z.string().optional(), kind: z.string().min(1), name: z.string().min(1) }),
    minReplicas: z.number().int().optional(),
    maxReplicas: z.number().int(),
    targetCPUUtilizationPercentage: z.number().int().optional(),
  }),
  status: z
    .strictObject({
      observedGeneration: z.number().int().optional(),
      lastScaleTime: z.string().optional(),
      currentReplicas: z.number().int().optional(),
      desiredReplicas: z.number().int().optional(),
      currentCPUUtilizationPercentage: z.number().int().optional(),
    })
    .optional(),
});
export type HorizontalPodAutoscalerV1 = z.infer<typeof horizontalPodAutoscalerV1Schema> & { metadata: { name: string } };

const isCpuUtilization = (m: MetricSpec): boolean => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.type === 'Utilization';

/** v1 → v2; `existing` (the stored object, on update) keeps what v1 cannot express. */
export function hpaV1ToV2(v1: HorizontalPodAutoscalerV1, existing?: HorizontalPodAutoscaler): HorizontalPodAutoscaler {
  const others = (existing?.spec.metrics ?? []).filter((m) => !isCpuUtilization(m));
  const cpu: MetricSpec[] =
    v1.spec.targetCPUUtilizationPercentage !== undefined
      ? [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: v1.spec.targetCPUUtilizationPercentage } } }]
      : [];
  const metrics = [...cpu, ...others];
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: v1.metadata,
    spec: {
      scaleTargetRef: v1.spec.scaleTargetRef,
      ...(v1.spec.minReplicas !== undefined ? { minReplicas: v1.spec.minReplicas } : {}),
      maxReplicas: v1.spec.maxReplicas,
      ...(metrics.length ? { metrics } : {}),
      ...(existing?.spec.behavior ? { behavior: existing.spec.behavior } : {}),
    },
    ...(existing?.status ? { status: existing.status } : {}),
  };
}

export function hpaV2ToV1(v2: HorizontalPodAutoscaler): HorizontalPodAutoscalerV1 {
  const i = (v2.spec.metrics ?? []).findIndex(isCpuUtilization);
  const target = i >= 0 ? v2.spec.metrics![i]!.resource!.target.averageUtilization : undefined;
  const current = (v2.status?.currentMetrics ?? []).find((m) => m.type === 'Resource' && m.resource?.name === 'cpu')?.resource?.current.averageUtilization;
  const s = v2.status;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: v2.metadata,
    spec: {
      scaleTargetRef: v2.spec.scaleTargetRef,
      ...(v2.spec.minReplicas !== undefined ? { minReplicas: v2.spec.minReplicas } : {}),
      maxReplicas: v2.spec.maxReplicas,
      ...(target !== undefined ? { targetCPUUtilizationPercentage: target } : {}),
    },
    status: {
      ...(s?.observedGeneration !== undefined ? { observedGeneration: s.observedGeneration } : {}),
      ...(s?.lastScaleTime ? { lastScaleTime: s.lastScaleTime } : {}),
      currentReplicas: s?.currentReplicas ?? 0,
      desiredReplicas: s?.desiredReplicas ?? 0,
      ...(current !== undefined ? { currentCPUUtilizationPercentage: current } : {}),
    },
  };
}

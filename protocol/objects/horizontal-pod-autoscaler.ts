import { z } from 'zod';
import { objectMetaSchema, quantitySchema } from './meta.js';

/**
 * autoscaling/v2 HorizontalPodAutoscaler (hub/controllers/hpa/): scales a Deployment, ReplicaSet or
 * StatefulSet through its scale subresource on the CPU and memory the agents measure (metrics.k8s.io).
 * Resource and ContainerResource metrics with Utilization or AverageValue targets; Pods, Object and
 * External metrics need a custom metrics pipeline Drover does not have, and are refused by name.
 */

const crossVersionObjectReferenceSchema = z.strictObject({
  apiVersion: z.string().min(1).optional(),
  kind: z.string().min(1),
  name: z.string().min(1),
});

const resourceNameSchema = z.enum(['cpu', 'memory'], { message: 'the resource metrics the agents report are "cpu" and "memory"' });

const metricTargetSchema = z
  .strictObject({
    type: z.enum(['Utilization', 'AverageValue', 'Value'], { message: 'must be Utilization, AverageValue or Value' }),
    value: quantitySchema.optional(),
    averageValue: quantitySchema.optional(),
    averageUtilization: z.number().int().min(1, 'must be greater than 0').optional(),
  })
  .superRefine((t, ctx) => {
    if (t.type === 'Utilization' && t.averageUtilization === undefined) ctx.addIssue({ code: 'custom', path: ['averageUtilization'], message: 'must be set for a Utilization target' });
    if (t.type === 'AverageValue' && t.averageValue === undefined) ctx.addIssue({ code: 'custom', path: ['averageValue'], message: 'must be set for an AverageValue target' });
    if (t.type === 'Value') ctx.addIssue({ code: 'custom', path: ['type'], message: 'a resource metric takes a Utilization or AverageValue target, not Value' });
  });

const resourceMetricSourceSchema = z.strictObject({ name: resourceNameSchema, target: metricTargetSchema });
const containerResourceMetricSourceSchema = z.strictObject({ name: resourceNameSchema, container: z.string().min(1), target: metricTargetSchema });

const metricSpecSchema = z
  .strictObject({
    type: z.enum(['Resource', 'ContainerResource'], {
      message: 'Drover serves Resource and ContainerResource metrics (CPU and memory from the agents); Pods, Object and External metrics need a custom metrics API it does not have',
    }),
    resource: resourceMetricSourceSchema.optional(),
    containerResource: containerResourceMetricSourceSchema.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.type === 'Resource' && !m.resource) ctx.addIssue({ code: 'custom', path: ['resource'], message: 'must be set for a Resource metric' });
    if (m.type === 'ContainerResource' && !m.containerResource) ctx.addIssue({ code: 'custom', path: ['containerResource'], message: 'must be set for a ContainerResource metric' });
  });
export type MetricSpec = z.infer<typeof metricSpecSchema>;
export type MetricTarget = z.infer<typeof metricTargetSchema>;

const scalingPolicySchema = z.strictObject({
  type: z.enum(['Pods', 'Percent'], { message: 'must be Pods or Percent' }),
  value: z.number().int().min(1, 'must be greater than 0'),
  periodSeconds: z.number().int().min(1, 'must be greater than 0').max(1800, 'must be at most 1800 (30 minutes)'),
});
export type HPAScalingPolicy = z.infer<typeof scalingPolicySchema>;

const scalingRulesSchema = z.strictObject({
  stabilizationWindowSeconds: z.number().int().min(0).max(3600, 'must be at most 3600 (one hour)').optional(),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled'], { message: 'must be Max, Min or Disabled' }).optional(),
  policies: z.array(scalingPolicySchema).optional(),
});
export type HPAScalingRules = z.infer<typeof scalingRulesSchema>;

const metricValueStatusSchema = z.strictObject({
  value: z.string().optional(),
  averageValue: z.string().optional(),
  averageUtilization: z.number().int().optional(),
});

const metricStatusSchema = z.strictObject({
  type: z.string(),
  resource: z.strictObject({ name: z.string(), current: metricValueStatusSchema }).optional(),
  containerResource: z.strictObject({ name: z.string(), container: z.string(), current: metricValueStatusSchema }).optional(),
});
export type MetricStatus = z.infer<typeof metricStatusSchema>;

const hpaConditionSchema = z.strictObject({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});
export type HPACondition = z.infer<typeof hpaConditionSchema>;

export const horizontalPodAutoscalerSpecSchema = z
  .strictObject({
    scaleTargetRef: crossVersionObjectReferenceSchema,
    minReplicas: z.number().int().min(1, 'must be at least 1 (scaling to zero is an alpha feature of Kubernetes, not served)').optional(),
    maxReplicas: z.number().int().min(1, 'must be at least 1'),
    metrics: z.array(metricSpecSchema).optional(),
    behavior: z.strictObject({ scaleUp: scalingRulesSchema.optional(), scaleDown: scalingRulesSchema.optional() }).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.minReplicas !== undefined && s.maxReplicas < s.minReplicas) ctx.addIssue({ code: 'custom', path: ['maxReplicas'], message: 'must be greater than or equal to minReplicas' });
  });

export const horizontalPodAutoscalerSchema = z.strictObject({
  apiVersion: z.literal('autoscaling/v2'),
  kind: z.literal('HorizontalPodAutoscaler'),
  metadata: objectMetaSchema,
  spec: horizontalPodAutoscalerSpecSchema,
  status: z
    .strictObject({
      observedGeneration: z.number().int().optional(),
      lastScaleTime: z.string().optional(),
      currentReplicas: z.number().int().min(0).optional(),
      desiredReplicas: z.number().int().min(0).optional(),
      currentMetrics: z.array(metricStatusSchema).nullable().optional(),
      conditions: z.array(hpaConditionSchema).optional(),
    })
    .optional(),
});
export type HorizontalPodAutoscaler = z.infer<typeof horizontalPodAutoscalerSchema> & { metadata: { name: string } };

import { z } from 'zod';
import { conditionSchema, objectMetaSchema } from './meta.js';
import { labelSelectorSchema } from './workloads.js';

const intOrPercent = z.union([z.number().int().min(0), z.string().regex(/^\d+%$/, 'must be an integer or a percentage like "25%"')]);

/**
 * policy/v1 PodDisruptionBudget: how many of the pods its selector matches must stay healthy (minAvailable)
 * or may be unavailable (maxUnavailable), one of the two. Evictions (`kubectl drain`) that would break it
 * are refused with 429 (hub/api/eviction.ts); plain deletes are not held back, as in Kubernetes.
 */
export const podDisruptionBudgetSchema = z.strictObject({
  apiVersion: z.literal('policy/v1'),
  kind: z.literal('PodDisruptionBudget'),
  metadata: objectMetaSchema,
  spec: z
    .strictObject({
      minAvailable: intOrPercent.optional(),
      maxUnavailable: intOrPercent.optional(),
      selector: labelSelectorSchema.optional(),
      unhealthyPodEvictionPolicy: z.enum(['IfHealthyBudget', 'AlwaysAllow']).optional(),
    })
    .refine((s) => s.minAvailable === undefined || s.maxUnavailable === undefined, {
      message: 'minAvailable and maxUnavailable cannot be both set',
      path: ['minAvailable'],
    }),
  status: z
    .strictObject({
      observedGeneration: z.number().int().optional(),
      disruptedPods: z.record(z.string(), z.string()).optional(),
      disruptionsAllowed: z.number().int().optional(),
      currentHealthy: z.number().int().optional(),
      desiredHealthy: z.number().int().optional(),
      expectedPods: z.number().int().optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .optional(),
});
export type PodDisruptionBudget = z.infer<typeof podDisruptionBudgetSchema> & { metadata: { name: string } };

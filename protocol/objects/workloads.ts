import { z } from 'zod';
import { conditionSchema, objectMetaSchema } from './meta.js';
import { podTemplateSpecSchema } from './pod.js';

const intOrPercent = z.union([z.number().int().min(0), z.string().regex(/^\d+%$/, 'must be an integer or a percentage like "25%"')]);

export const labelSelectorSchema = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

export const deploymentStrategySchema = z.strictObject({
  type: z.enum(['RollingUpdate', 'Recreate']).optional(),
  rollingUpdate: z.strictObject({ maxSurge: intOrPercent.optional(), maxUnavailable: intOrPercent.optional() }).optional(),
});

export const deploymentSchema = z.strictObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata: objectMetaSchema,
  spec: z.strictObject({
    replicas: z.number().int().min(0).optional(),
    selector: labelSelectorSchema,
    template: podTemplateSpecSchema,
    strategy: deploymentStrategySchema.optional(),
    minReadySeconds: z.number().int().min(0).optional(),
    revisionHistoryLimit: z.number().int().min(0).optional(),
    progressDeadlineSeconds: z.number().int().min(1).optional(),
    paused: z.boolean().optional(),
  }),
  status: z
    .strictObject({
      observedGeneration: z.number().int().optional(),
      replicas: z.number().int().optional(),
      updatedReplicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      unavailableReplicas: z.number().int().optional(),
      conditions: z.array(conditionSchema).optional(),
      collisionCount: z.number().int().optional(),
    })
    .optional(),
});
export type Deployment = z.infer<typeof deploymentSchema> & { metadata: { name: string } };

export const daemonSetSchema = z.strictObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('DaemonSet'),
  metadata: objectMetaSchema,
  spec: z.strictObject({
    selector: labelSelectorSchema,
    template: podTemplateSpecSchema,
    updateStrategy: z
      .strictObject({
        type: z.enum(['RollingUpdate', 'OnDelete']).optional(),
        rollingUpdate: z.strictObject({ maxUnavailable: intOrPercent.optional(), maxSurge: intOrPercent.optional() }).optional(),
      })
      .optional(),
    minReadySeconds: z.number().int().min(0).optional(),
    revisionHistoryLimit: z.number().int().min(0).optional(),
  }),
  status: z
    .strictObject({
      currentNumberScheduled: z.number().int().optional(),
      desiredNumberScheduled: z.number().int().optional(),
      numberMisscheduled: z.number().int().optional(),
      numberReady: z.number().int().optional(),
      numberAvailable: z.number().int().optional(),
      numberUnavailable: z.number().int().optional(),
      updatedNumberScheduled: z.number().int().optional(),
      observedGeneration: z.number().int().optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .optional(),
});
export type DaemonSet = z.infer<typeof daemonSetSchema> & { metadata: { name: string } };

/** Kept per Deployment revision so that `rollout undo` can restore a template (Kubernetes keeps ReplicaSets). */
export const replicaSetSchema = z.strictObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('ReplicaSet'),
  metadata: objectMetaSchema,
  spec: z.strictObject({
    replicas: z.number().int().min(0).optional(),
    selector: labelSelectorSchema,
    template: podTemplateSpecSchema,
    minReadySeconds: z.number().int().min(0).optional(),
  }),
  status: z
    .strictObject({
      replicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      fullyLabeledReplicas: z.number().int().optional(),
      observedGeneration: z.number().int().optional(),
    })
    .optional(),
});
export type ReplicaSet = z.infer<typeof replicaSetSchema> & { metadata: { name: string } };

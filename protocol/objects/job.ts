import { z } from 'zod';
import { conditionSchema, objectMetaSchema } from './meta.js';
import { podTemplateSpecSchema } from './pod.js';
import { labelSelectorSchema } from './workloads.js';

/** podFailurePolicy rules on container exit codes (onPodConditions is not supported: a clear error names it). */
const podFailurePolicyRuleSchema = z.strictObject({
  action: z.enum(['FailJob', 'Ignore', 'Count']),
  onExitCodes: z.strictObject({
    containerName: z.string().optional(),
    operator: z.enum(['In', 'NotIn']),
    values: z.array(z.number().int()).min(1).max(255),
  }),
});

export const jobSpecSchema = z
  .strictObject({
    parallelism: z.number().int().min(0).optional(),
    completions: z.number().int().min(0).optional(),
    activeDeadlineSeconds: z.number().int().min(1).optional(),
    backoffLimit: z.number().int().min(0).optional(),
    selector: labelSelectorSchema.optional(),
    manualSelector: z.boolean().optional(),
    template: podTemplateSpecSchema,
    ttlSecondsAfterFinished: z.number().int().min(0).optional(),
    completionMode: z.enum(['NonIndexed', 'Indexed']).optional(),
    suspend: z.boolean().optional(),
    podFailurePolicy: z.strictObject({ rules: z.array(podFailurePolicyRuleSchema).max(20) }).optional(),
    podReplacementPolicy: z.enum(['TerminatingOrFailed', 'Failed']).optional(),
  })
  .superRefine((spec, ctx) => {
    const rp = spec.template.spec.restartPolicy;
    if (rp !== 'Never' && rp !== 'OnFailure') {
      ctx.addIssue({
        code: 'custom',
        path: ['template', 'spec', 'restartPolicy'],
        message: rp === undefined ? 'Required value: valid values: "OnFailure", "Never"' : `Unsupported value: "${rp}": supported values: "OnFailure", "Never"`,
      });
    }
    if (spec.completionMode === 'Indexed' && spec.completions === undefined) {
      ctx.addIssue({ code: 'custom', path: ['completions'], message: 'Required value: when completion mode is Indexed' });
    }
    if (spec.podFailurePolicy && rp === 'OnFailure') {
      ctx.addIssue({ code: 'custom', path: ['template', 'spec', 'restartPolicy'], message: 'Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified' });
    }
  });
export type JobSpec = z.infer<typeof jobSpecSchema>;

/**
 * batch/v1 Job: runs pods to completion (hub/controllers/job/). Fields Drover does not run
 * (backoffLimitPerIndex, maxFailedIndexes, successPolicy, managedBy, onPodConditions) are refused by name.
 */
export const jobSchema = z.strictObject({
  apiVersion: z.literal('batch/v1'),
  kind: z.literal('Job'),
  metadata: objectMetaSchema,
  spec: jobSpecSchema,
  status: z
    .strictObject({
      conditions: z.array(conditionSchema).optional(),
      startTime: z.string().optional(),
      completionTime: z.string().optional(),
      active: z.number().int().optional(),
      succeeded: z.number().int().optional(),
      failed: z.number().int().optional(),
      terminating: z.number().int().optional(),
      ready: z.number().int().optional(),
      completedIndexes: z.string().optional(),
      uncountedTerminatedPods: z.strictObject({ succeeded: z.array(z.string()).optional(), failed: z.array(z.string()).optional() }).optional(),
    })
    .optional(),
});
export type Job = z.infer<typeof jobSchema> & { metadata: { name: string } };
export type JobStatus = NonNullable<Job['status']>;

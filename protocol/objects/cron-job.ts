import { z } from 'zod';
import { objectMetaSchema } from './meta.js';
import { jobSpecSchema } from './job.js';

const objectReferenceSchema = z.strictObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});

/** batch/v1 CronJob: Jobs on a cron schedule (hub/controllers/cronjob/). */
export const cronJobSchema = z.strictObject({
  apiVersion: z.literal('batch/v1'),
  kind: z.literal('CronJob'),
  metadata: objectMetaSchema,
  spec: z.strictObject({
    schedule: z.string().min(1),
    timeZone: z.string().optional(),
    startingDeadlineSeconds: z.number().int().min(0).optional(),
    concurrencyPolicy: z.enum(['Allow', 'Forbid', 'Replace']).optional(),
    suspend: z.boolean().optional(),
    jobTemplate: z.strictObject({ metadata: objectMetaSchema.optional(), spec: jobSpecSchema }),
    successfulJobsHistoryLimit: z.number().int().min(0).optional(),
    failedJobsHistoryLimit: z.number().int().min(0).optional(),
  }),
  status: z
    .strictObject({
      active: z.array(objectReferenceSchema).optional(),
      lastScheduleTime: z.string().optional(),
      lastSuccessfulTime: z.string().optional(),
    })
    .optional(),
});
export type CronJob = z.infer<typeof cronJobSchema> & { metadata: { name: string } };

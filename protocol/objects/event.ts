import { z } from 'zod';
import { objectMetaSchema } from './meta.js';

export const objectReferenceSchema = z.strictObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});

export const eventSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Event'),
  metadata: objectMetaSchema,
  involvedObject: objectReferenceSchema,
  reason: z.string().optional(),
  message: z.string().optional(),
  type: z.enum(['Normal', 'Warning']).optional(),
  count: z.number().int().optional(),
  firstTimestamp: z.string().nullable().optional(),
  lastTimestamp: z.string().nullable().optional(),
  eventTime: z.string().nullable().optional(),
  source: z.strictObject({ component: z.string().optional(), host: z.string().optional() }).optional(),
  reportingComponent: z.string().optional(),
  reportingInstance: z.string().optional(),
  action: z.string().optional(),
});
export type Event = z.infer<typeof eventSchema> & { metadata: { name: string } };

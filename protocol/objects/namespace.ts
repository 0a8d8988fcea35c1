import { z } from 'zod';
import { objectMetaSchema } from './meta.js';

export const namespaceSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Namespace'),
  metadata: objectMetaSchema,
  spec: z.strictObject({ finalizers: z.array(z.string()).optional() }).optional(),
  status: z.strictObject({ phase: z.enum(['Active', 'Terminating']).optional() }).optional(),
});
export type Namespace = z.infer<typeof namespaceSchema> & { metadata: { name: string } };

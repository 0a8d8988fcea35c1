/**
 * A StatefulSet's volumeClaimTemplates entry: a PersistentVolumeClaim's metadata (name required: it
 * names the pod volume and the claims `<name>-<set>-<ordinal>`) and its spec.
 */
import { z } from 'zod';
import { labelNameSchema, labelsSchema, quantitySchema } from './meta.js';
import { labelSelectorSchema } from './workloads.js';

/** Until the PersistentVolumeClaim kind lands: the claim spec fields a template may carry. */
export const claimSpecSchema = z.strictObject({
  accessModes: z.array(z.enum(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'])).optional(),
  resources: z.strictObject({ requests: z.record(z.string(), quantitySchema).optional(), limits: z.record(z.string(), quantitySchema).optional() }).optional(),
  storageClassName: z.string().optional(),
  volumeMode: z.enum(['Filesystem', 'Block']).optional(),
  volumeName: z.string().optional(),
  selector: labelSelectorSchema.optional(),
});

export const persistentVolumeClaimTemplateSchema = z.strictObject({
  apiVersion: z.literal('v1').optional(),
  kind: z.literal('PersistentVolumeClaim').optional(),
  metadata: z.strictObject({
    name: labelNameSchema,
    labels: labelsSchema.optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: claimSpecSchema,
});
export type PersistentVolumeClaimTemplate = z.infer<typeof persistentVolumeClaimTemplateSchema>;

import { z } from 'zod';
import { isQuantity } from '../quantity.js';

/** DNS-1123 subdomain, as Kubernetes requires for most object names. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** DNS-1123 label: namespaces, container names, port names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const nameSchema = z
  .string()
  .max(253)
  .regex(DNS_SUBDOMAIN, 'must be a lowercase RFC 1123 subdomain (a-z, 0-9, "-" and ".")');
export const labelNameSchema = z.string().max(63).regex(DNS_LABEL, 'must be a lowercase RFC 1123 label (a-z, 0-9 and "-")');

export const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
export const labelsSchema = z.record(
  z.string().regex(LABEL_KEY, 'invalid label key'),
  z.string().regex(LABEL_VALUE, 'invalid label value (at most 63 characters: letters, digits, "-", "_", ".")'),
);

export const quantitySchema = z
  .union([z.string(), z.number()])
  .refine(isQuantity, 'must be a quantity such as "500m", "1", "128Mi"')
  .transform((v) => String(v));

export const ownerReferenceSchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});
export type OwnerReference = z.infer<typeof ownerReferenceSchema>;

/** One entry of metadata.managedFields (server-side apply's field ownership; the hub keeps them). */
export const managedFieldsEntrySchema = z.strictObject({
  manager: z.string().optional(),
  operation: z.enum(['Apply', 'Update']).optional(),
  apiVersion: z.string().optional(),
  time: z.string().optional(),
  fieldsType: z.literal('FieldsV1').optional(),
  fieldsV1: z.record(z.string(), z.unknown()).optional(),
  subresource: z.string().optional(),
});

export const objectMetaSchema = z.strictObject({
  name: nameSchema.optional(),
  generateName: z.string().optional(),
  namespace: labelNameSchema.optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  labels: labelsSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  creationTimestamp: z.string().nullable().optional(),
  deletionTimestamp: z.string().optional(),
  deletionGracePeriodSeconds: z.number().int().optional(),
  ownerReferences: z.array(ownerReferenceSchema).optional(),
  finalizers: z.array(z.string()).optional(),
  managedFields: z.array(managedFieldsEntrySchema).optional(),
});
export type ObjectMeta = z.infer<typeof objectMetaSchema>;

export const conditionSchema = z.strictObject({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  lastHeartbeatTime: z.string().optional(),
  lastProbeTime: z.string().nullable().optional(),
  lastUpdateTime: z.string().optional(),
});
export type Condition = z.infer<typeof conditionSchema>;

/** The common shape of every stored object. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string };
  [key: string]: unknown;
}

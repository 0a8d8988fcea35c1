/**
 * apps/v1 StatefulSet and ControllerRevision, as Kubernetes writes them. A StatefulSet's pods are
 * `<set>-<ordinal>`; each template revision is kept as a ControllerRevision `<set>-<hash>` whose data is
 * the template as a strategic-merge patch (`{spec: {template: {..., $patch: replace}}}`, as Kubernetes
 * stores it, so kubectl's rollout history and undo read it).
 */
import { z } from 'zod';
import { conditionSchema, DNS_LABEL, objectMetaSchema } from './meta.js';
import { podTemplateSpecSchema } from './pod.js';
import { labelSelectorSchema } from './workloads.js';
import { persistentVolumeClaimTemplateSchema } from './storage.js';

const intOrPercent = z.union([z.number().int().min(1), z.string().regex(/^[1-9]\d*%$/, 'must be a positive integer or a percentage like "25%"')]);
const retention = z.enum(['Retain', 'Delete']);

export const statefulSetSpecSchema = z
  .strictObject({
    replicas: z.number().int().min(0).optional(),
    selector: labelSelectorSchema,
    template: podTemplateSpecSchema,
    /** The headless Service that gives each pod its DNS name `<pod>.<serviceName>.<ns>.svc.<domain>`. */
    serviceName: z.string().regex(DNS_LABEL, 'must be a lowercase RFC 1123 label (a-z, 0-9 and "-")').max(63).optional(),
    volumeClaimTemplates: z.array(persistentVolumeClaimTemplateSchema).optional(),
    podManagementPolicy: z.enum(['OrderedReady', 'Parallel']).optional(),
    updateStrategy: z
      .strictObject({
        type: z.enum(['RollingUpdate', 'OnDelete']).optional(),
        rollingUpdate: z.strictObject({ partition: z.number().int().min(0).optional(), maxUnavailable: intOrPercent.optional() }).optional(),
      })
      .optional(),
    revisionHistoryLimit: z.number().int().min(0).optional(),
    minReadySeconds: z.number().int().min(0).optional(),
    persistentVolumeClaimRetentionPolicy: z.strictObject({ whenDeleted: retention.optional(), whenScaled: retention.optional() }).optional(),
    ordinals: z.strictObject({ start: z.number().int().min(0).optional() }).optional(),
  })
  .superRefine((spec, ctx) => {
    const labels = spec.template.metadata?.labels ?? {};
    for (const [key, value] of Object.entries(spec.selector.matchLabels ?? {})) {
      if (labels[key] !== value) {
        ctx.addIssue({ code: 'custom', path: ['template', 'metadata', 'labels'], message: '`selector` does not match template `labels`' });
        return;
      }
    }
    if (spec.updateStrategy?.type === 'OnDelete' && spec.updateStrategy.rollingUpdate) {
      ctx.addIssue({ code: 'custom', path: ['updateStrategy', 'rollingUpdate'], message: 'only allowed for updateStrategy type "RollingUpdate"' });
    }
    const seen = new Set<string>();
    for (const [i, claim] of (spec.volumeClaimTemplates ?? []).entries()) {
      const name = claim.metadata.name;
      if (!name) {
        ctx.addIssue({ code: 'custom', path: ['volumeClaimTemplates', i, 'metadata', 'name'], message: 'Required value: names the pod volume and the claims <name>-<set>-<ordinal>' });
        continue;
      }
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['volumeClaimTemplates', i, 'metadata', 'name'], message: `Duplicate value: "${name}"` });
      seen.add(name);
    }
  });

export const statefulSetSchema = z.strictObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('StatefulSet'),
  metadata: objectMetaSchema,
  spec: statefulSetSpecSchema,
  status: z
    .strictObject({
      observedGeneration: z.number().int().optional(),
      replicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      currentReplicas: z.number().int().optional(),
      updatedReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      currentRevision: z.string().optional(),
      updateRevision: z.string().optional(),
      collisionCount: z.number().int().optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .optional(),
});
/** A volumeClaimTemplates entry (its metadata.name is required). */
export type PersistentVolumeClaimTemplate = z.infer<typeof persistentVolumeClaimTemplateSchema>;
export type StatefulSet = z.infer<typeof statefulSetSchema> & { metadata: { name: string } };

/** apps/v1 ControllerRevision: an immutable snapshot of a template (data) and its revision number. */
export const controllerRevisionSchema = z.strictObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('ControllerRevision'),
  metadata: objectMetaSchema,
  data: z.record(z.string(), z.unknown()).optional(),
  revision: z.number().int().min(0),
});
export type ControllerRevision = z.infer<typeof controllerRevisionSchema> & { metadata: { name: string } };

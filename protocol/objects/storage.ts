import { z } from 'zod';
import { conditionSchema, objectMetaSchema, quantitySchema } from './meta.js';
import { objectReferenceSchema } from './event.js';
import { nodeSelectorTermSchema } from './pod.js';
import { labelSelectorSchema } from './workloads.js';

/**
 * Local persistent storage, as Kubernetes writes it: v1 PersistentVolumeClaim and PersistentVolume,
 * storage.k8s.io/v1 StorageClass. Drover's volumes are directories on a node's disk (a `local` or
 * `hostPath` PersistentVolume, the built-in `local-path` provisioner making the former), so only the
 * Filesystem volume mode exists and every other volume source is refused by name.
 */

export const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];
const accessModesSchema = z.array(z.enum(ACCESS_MODES)).min(1, 'at least one access mode is required');
const volumeModeSchema = z.literal('Filesystem', { error: 'only Filesystem volumes exist in Drover (a local directory); Block is not supported' });
const storageListSchema = z.strictObject({ storage: quantitySchema });
/** A storage class name: "" means "no class" (bind only to PVs without one), as in Kubernetes. */
const storageClassNameSchema = z.union([z.literal(''), z.string().max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 subdomain')]);

export const PVC_PHASES = ['Pending', 'Bound', 'Lost'] as const;
export type PersistentVolumeClaimPhase = (typeof PVC_PHASES)[number];

export const persistentVolumeClaimSpecSchema = z.strictObject({
  accessModes: accessModesSchema,
  resources: z.strictObject({
    requests: storageListSchema,
    limits: storageListSchema.optional(),
  }),
  storageClassName: storageClassNameSchema.optional(),
  volumeName: z.string().optional(),
  volumeMode: volumeModeSchema.optional(),
  selector: labelSelectorSchema.optional(),
});
export type PersistentVolumeClaimSpec = z.infer<typeof persistentVolumeClaimSpecSchema>;

export const persistentVolumeClaimSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('PersistentVolumeClaim'),
  metadata: objectMetaSchema,
  spec: persistentVolumeClaimSpecSchema,
  status: z
    .strictObject({
      phase: z.enum(PVC_PHASES).optional(),
      accessModes: z.array(z.enum(ACCESS_MODES)).optional(),
      capacity: storageListSchema.optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .optional(),
});
export type PersistentVolumeClaim = z.infer<typeof persistentVolumeClaimSchema> & { metadata: { name: string } };

/** A PVC as a StatefulSet's volumeClaimTemplates write it (metadata and spec, no status needed). */
export const persistentVolumeClaimTemplateSchema = z.strictObject({
  apiVersion: z.literal('v1').optional(),
  kind: z.literal('PersistentVolumeClaim').optional(),
  metadata: objectMetaSchema,
  spec: persistentVolumeClaimSpecSchema,
  status: z.strictObject({ phase: z.enum(PVC_PHASES).optional() }).optional(),
});

export const PV_PHASES = ['Pending', 'Available', 'Bound', 'Released', 'Failed'] as const;
export type PersistentVolumePhase = (typeof PV_PHASES)[number];
export const RECLAIM_POLICIES = ['Retain', 'Delete'] as const;
export type ReclaimPolicy = (typeof RECLAIM_POLICIES)[number];
const reclaimPolicySchema = z.enum(RECLAIM_POLICIES, { error: 'must be Retain or Delete (Recycle is deprecated in Kubernetes and not supported)' });

const absolutePath = z.string().startsWith('/', 'must be an absolute path').refine((p) => !p.split('/').includes('..'), 'must not contain ".."');

export const persistentVolumeSpecSchema = z
  .strictObject({
    capacity: storageListSchema,
    accessModes: accessModesSchema,
    persistentVolumeReclaimPolicy: reclaimPolicySchema.optional(),
    storageClassName: storageClassNameSchema.optional(),
    volumeMode: volumeModeSchema.optional(),
    mountOptions: z.array(z.string()).max(0, 'mount options are not supported: Drover bind-mounts a directory').optional(),
    claimRef: objectReferenceSchema.optional(),
    hostPath: z.strictObject({ path: absolutePath, type: z.enum(['', 'DirectoryOrCreate', 'Directory']).optional() }).optional(),
    local: z.strictObject({ path: absolutePath, fsType: z.string().optional() }).optional(),
    nodeAffinity: z
      .strictObject({ required: z.strictObject({ nodeSelectorTerms: z.array(nodeSelectorTermSchema).min(1, 'at least one term is required') }).optional() })
      .optional(),
  })
  .superRefine((s, ctx) => {
    if (!s.hostPath && !s.local) ctx.addIssue({ code: 'custom', path: ['local'], message: 'a volume source is required: local or hostPath (the only sources Drover supports)' });
    if (s.hostPath && s.local) ctx.addIssue({ code: 'custom', path: ['hostPath'], message: 'may not specify more than one volume source (local and hostPath)' });
    if (s.local && !s.nodeAffinity?.required) ctx.addIssue({ code: 'custom', path: ['nodeAffinity'], message: 'a local volume requires nodeAffinity.required (the node it is on)' });
  });
export type PersistentVolumeSpec = z.infer<typeof persistentVolumeSpecSchema>;

export const persistentVolumeSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('PersistentVolume'),
  metadata: objectMetaSchema,
  spec: persistentVolumeSpecSchema,
  status: z
    .strictObject({
      phase: z.enum(PV_PHASES).optional(),
      message: z.string().optional(),
      reason: z.string().optional(),
      lastPhaseTransitionTime: z.string().optional(),
    })
    .optional(),
});
export type PersistentVolume = z.infer<typeof persistentVolumeSchema> & { metadata: { name: string } };

export const VOLUME_BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'] as const;
export type VolumeBindingMode = (typeof VOLUME_BINDING_MODES)[number];

export const storageClassSchema = z.strictObject({
  apiVersion: z.literal('storage.k8s.io/v1'),
  kind: z.literal('StorageClass'),
  metadata: objectMetaSchema,
  provisioner: z.string().min(1, 'a provisioner is required'),
  parameters: z.record(z.string(), z.string()).optional(),
  reclaimPolicy: reclaimPolicySchema.optional(),
  volumeBindingMode: z.enum(VOLUME_BINDING_MODES).optional(),
  allowVolumeExpansion: z.boolean().optional(),
  mountOptions: z.array(z.string()).max(0, 'mount options are not supported: Drover bind-mounts a directory').optional(),
  allowedTopologies: z
    .array(z.strictObject({ matchLabelExpressions: z.array(z.strictObject({ key: z.string(), values: z.array(z.string()) })).optional() }))
    .optional(),
});
export type StorageClass = z.infer<typeof storageClassSchema> & { metadata: { name: string } };

/**
 * coordination.k8s.io/v1 Lease, as Kubernetes has it. The hub serves one per node in
 * `kube-node-lease` from its in-memory node leases (renewed by heartbeats, never stored); Leases in
 * any other namespace are stored objects like ConfigMaps (leader election of a user's controllers).
 */
import { z } from 'zod';
import { objectMetaSchema } from './meta.js';

/** The namespace of the node heartbeat Leases (Kubernetes' kube-node-lease). */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** The kubelet's lease duration (Kubernetes' default nodeLeaseDurationSeconds). */
export const NODE_LEASE_DURATION_SECONDS = 40;

export const leaseSpecSchema = z.strictObject({
  holderIdentity: z.string().optional(),
  leaseDurationSeconds: z.number().int().min(1).optional(),
  /** MicroTime: RFC 3339 with microseconds. */
  acquireTime: z.string().optional(),
  renewTime: z.string().optional(),
  leaseTransitions: z.number().int().min(0).optional(),
  strategy: z.string().optional(),
  preferredHolder: z.string().optional(),
});

export const leaseSchema = z.strictObject({
  apiVersion: z.literal('coordination.k8s.io/v1'),
  kind: z.literal('Lease'),
  metadata: objectMetaSchema,
  spec: leaseSpecSchema.optional(),
});
export type Lease = z.infer<typeof leaseSchema> & { metadata: { name: string } };

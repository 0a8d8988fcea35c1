import { z } from 'zod';
import { conditionSchema, objectMetaSchema, quantitySchema } from './meta.js';

export const taintSchema = z.strictObject({
  key: z.string(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
  timeAdded: z.string().optional(),
});
export type Taint = z.infer<typeof taintSchema>;

export const resourceListSchema = z.record(z.string(), quantitySchema);

export const nodeInfoSchema = z.strictObject({
  machineID: z.string().optional(),
  systemUUID: z.string().optional(),
  bootID: z.string().optional(),
  kernelVersion: z.string().optional(),
  osImage: z.string().optional(),
  containerRuntimeVersion: z.string().optional(),
  kubeletVersion: z.string().optional(),
  kubeProxyVersion: z.string().optional(),
  operatingSystem: z.string().optional(),
  architecture: z.string().optional(),
  cpuModel: z.string().optional(),
  hostname: z.string().optional(),
});

export const nodeAddressSchema = z.strictObject({
  type: z.enum(['InternalIP', 'ExternalIP', 'Hostname', 'InternalDNS', 'ExternalDNS']),
  address: z.string(),
});

/** Live usage, reported by the agent (Drover's addition, shown by `drover top nodes`). */
export const nodeUsageSchema = z.strictObject({
  cpuPercent: z.number(),
  memoryUsedBytes: z.number(),
  diskUsedBytes: z.number().optional(),
  timestamp: z.string(),
});

export type NodeUsage = z.infer<typeof nodeUsageSchema>;

export const nodeStatusSchema = z.strictObject({
  capacity: resourceListSchema.optional(),
  allocatable: resourceListSchema.optional(),
  conditions: z.array(conditionSchema).optional(),
  addresses: z.array(nodeAddressSchema).optional(),
  nodeInfo: nodeInfoSchema.optional(),
  images: z
    .array(
      z.strictObject({
        names: z.array(z.string()),
        sizeBytes: z.number().optional(),
        /** Drover's addition: the image's platforms ("os/arch[/variant]") when the node's runtime knows them all. */
        platforms: z.array(z.string()).optional(),
      }),
    )
    .optional(),
  usage: nodeUsageSchema.optional(),
  phase: z.string().optional(),
});
export type NodeStatus = z.infer<typeof nodeStatusSchema>;

export const nodeSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Node'),
  metadata: objectMetaSchema,
  spec: z
    .strictObject({
      unschedulable: z.boolean().optional(),
      taints: z.array(taintSchema).optional(),
      /** Given by the hub from the cluster CIDR (one block per node); immutable once set, as in Kubernetes. */
      podCIDR: z.string().optional(),
      podCIDRs: z.array(z.string()).max(1, 'Drover is IPv4 only: at most one pod CIDR').optional(),
      providerID: z.string().optional(),
    })
    .optional(),
  status: nodeStatusSchema.optional(),
});
export type Node = z.infer<typeof nodeSchema> & { metadata: { name: string } };

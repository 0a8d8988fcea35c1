/**
 * What an agent measures of its pods' resource use: per container, the CPU rate and the memory
 * working set over the last sample window, read from the runtime's cgroups (the kubelet's summary
 * API in Kubernetes; cAdvisor's numbers). It rides in the node's heartbeat (messages.ts) and is held
 * in the hub's memory only: the metrics.k8s.io API (`kubectl top pods`) serves it, nothing stores it.
 */
import { z } from 'zod';

/**
 * How often an agent samples its pods (metrics-server's default resolution, 15 s; the status interval
 * when that is longer). A sample rides in one heartbeat: with 10 pods a heartbeat grows from about 160
 * bytes to 2 KB and costs the hub 17 µs instead of 2 to parse and validate, so every third heartbeat
 * (at 5 s) carries one rather than each.
 */
export const DEFAULT_POD_USAGE_INTERVAL_MS = 15_000;

/** At most this many pods' usage in one heartbeat (the node's pod capacity is bounded the same way). */
export const MAX_POD_USAGE_ENTRIES = 2500;
/** At most this many containers per pod. */
export const MAX_CONTAINERS_PER_POD_USAGE = 64;

export const containerUsageSchema = z.strictObject({
  name: z.string().max(253),
  /** CPU over the window, in nanocores (1e9 = one core busy). */
  cpuNanoCores: z.number().int().min(0),
  /** Memory working set (usage less inactive file pages), bytes. */
  memoryBytes: z.number().int().min(0),
});
export type ContainerUsage = z.infer<typeof containerUsageSchema>;

export const podUsageEntrySchema = z.strictObject({
  namespace: z.string().max(253),
  name: z.string().max(253),
  uid: z.string().max(64).optional(),
  containers: z.array(containerUsageSchema).max(MAX_CONTAINERS_PER_POD_USAGE),
});
export type PodUsageEntry = z.infer<typeof podUsageEntrySchema>;

/** One sample of every running pod of a node. */
export const podUsageReportSchema = z.strictObject({
  /** When the sample was read (RFC 3339). */
  timestamp: z.string(),
  /** The span the CPU rates were measured over. */
  windowSeconds: z.number().positive(),
  pods: z.array(podUsageEntrySchema).max(MAX_POD_USAGE_ENTRIES),
});
export type PodUsageReport = z.infer<typeof podUsageReportSchema>;

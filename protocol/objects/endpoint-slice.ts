/**
 * discovery.k8s.io/v1 EndpointSlice: the addresses behind a Service, written by the hub's
 * EndpointSlice controller (label kubernetes.io/service-name, managed-by endpointslice-controller.k8s.io
 * as in Kubernetes). Drover writes IPv4 slices only.
 */
import { z } from 'zod';
import { labelNameSchema, objectMetaSchema } from './meta.js';
import { ipv4Schema } from './service.js';

export const endpointSchema = z.strictObject({
  addresses: z.array(ipv4Schema).min(1).max(1),
  conditions: z
    .strictObject({
      ready: z.boolean().optional(),
      serving: z.boolean().optional(),
      terminating: z.boolean().optional(),
    })
    .optional(),
  hostname: labelNameSchema.optional(),
  nodeName: z.string().optional(),
  zone: z.string().optional(),
  targetRef: z
    .strictObject({ kind: z.string(), namespace: z.string().optional(), name: z.string(), uid: z.string().optional(), apiVersion: z.string().optional(), resourceVersion: z.string().optional() })
    .optional(),
});
export type Endpoint = z.infer<typeof endpointSchema>;

export const endpointPortSchema = z.strictObject({
  name: z.string().optional(),
  protocol: z.enum(['TCP', 'UDP']).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  appProtocol: z.string().optional(),
});
export type EndpointPort = z.infer<typeof endpointPortSchema>;

export const endpointSliceSchema = z.strictObject({
  apiVersion: z.literal('discovery.k8s.io/v1'),
  kind: z.literal('EndpointSlice'),
  metadata: objectMetaSchema,
  addressType: z.literal('IPv4', { message: 'Drover is IPv4 only' }),
  endpoints: z.array(endpointSchema).default([]),
  ports: z.array(endpointPortSchema).optional(),
});
export type EndpointSlice = z.infer<typeof endpointSliceSchema> & { metadata: { name: string } };

/**
 * v1 Endpoints: the older, one-object-per-Service view of the addresses behind a Service, as
 * Kubernetes' endpoints controller writes it (named as its Service, addresses of ready pods,
 * notReadyAddresses of the others, one subset per set of resolved ports). Drover's proxy and DNS read
 * EndpointSlices; Endpoints are kept for the tools that still read them (`kubectl get ep`, older
 * clients), and Endpoints a user writes for a Service without a selector are mirrored into
 * EndpointSlices so the proxy routes to them.
 */
import { z } from 'zod';
import { labelNameSchema, objectMetaSchema } from './meta.js';
import { ipv4Schema } from './service.js';

export const endpointAddressSchema = z.strictObject({
  ip: ipv4Schema,
  hostname: labelNameSchema.optional(),
  nodeName: z.string().optional(),
  targetRef: z
    .strictObject({ kind: z.string(), namespace: z.string().optional(), name: z.string(), uid: z.string().optional(), apiVersion: z.string().optional(), resourceVersion: z.string().optional() })
    .optional(),
});
export type EndpointAddress = z.infer<typeof endpointAddressSchema>;

export const endpointsPortSchema = z.strictObject({
  name: z.string().optional(),
  port: z.number().int().min(1).max(65535),
  protocol: z.enum(['TCP', 'UDP']).optional(),
  appProtocol: z.string().optional(),
});
export type EndpointsPort = z.infer<typeof endpointsPortSchema>;

export const endpointSubsetSchema = z.strictObject({
  addresses: z.array(endpointAddressSchema).optional(),
  notReadyAddresses: z.array(endpointAddressSchema).optional(),
  ports: z.array(endpointsPortSchema).optional(),
});
export type EndpointSubset = z.infer<typeof endpointSubsetSchema>;

export const endpointsSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Endpoints'),
  metadata: objectMetaSchema,
  subsets: z.array(endpointSubsetSchema).optional(),
});
export type Endpoints = z.infer<typeof endpointsSchema> & { metadata: { name: string } };

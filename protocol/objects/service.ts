/**
 * v1 Service, as Kubernetes writes it, for the types Drover serves: ClusterIP (with headless,
 * clusterIP: None), NodePort, and LoadBalancer accepted as a NodePort (an edge fleet has no cloud load
 * balancer: the Service answers on every node's address at its nodePort, status.loadBalancer stays
 * empty, as K3s' klipper would without a load balancer). ExternalName is refused with a clear reason.
 */
import { z } from 'zod';
import { labelNameSchema, objectMetaSchema } from './meta.js';

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const ipv4Schema = z.string().regex(IPV4, 'must be an IPv4 address such as 10.43.0.10');

export const servicePortSchema = z.strictObject({
  name: labelNameSchema.optional(),
  protocol: z.enum(['TCP', 'UDP']).optional(),
  appProtocol: z.string().optional(),
  port: z.number().int().min(1).max(65535),
  /** A number, or the name of a container port. Defaults to `port`. */
  targetPort: z.union([z.number().int().min(1).max(65535), z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a port number or a port name (IANA_SVC_NAME)').max(15)]).optional(),
  nodePort: z.number().int().min(1).max(65535).optional(),
});
export type ServicePort = z.infer<typeof servicePortSchema>;

export const serviceSpecSchema = z.strictObject({
  type: z
    .string()
    .refine((t) => t !== 'ExternalName', 'ExternalName Services are not supported by Drover (use a ClusterIP Service, or the name itself)')
    .refine((t) => (SERVICE_TYPES as readonly string[]).includes(t), 'must be ClusterIP, NodePort or LoadBalancer')
    .optional(),
  selector: z.record(z.string(), z.string()).optional(),
  ports: z.array(servicePortSchema).optional(),
  /** Allocated from the service CIDR when absent; "None" makes the Service headless. */
  clusterIP: z.union([ipv4Schema, z.literal('None'), z.literal('')]).optional(),
  clusterIPs: z.array(z.union([ipv4Schema, z.literal('None')])).max(1, 'Drover is IPv4 only: at most one cluster IP').optional(),
  ipFamilies: z.array(z.literal('IPv4', { message: 'Drover is IPv4 only' })).optional(),
  ipFamilyPolicy: z.literal('SingleStack', { message: 'Drover is IPv4 only: SingleStack' }).optional(),
  sessionAffinity: z.enum(['None', 'ClientIP']).optional(),
  sessionAffinityConfig: z.strictObject({ clientIP: z.strictObject({ timeoutSeconds: z.number().int().min(1).max(86_400).optional() }).optional() }).optional(),
  externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  internalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  publishNotReadyAddresses: z.boolean().optional(),
});
export type ServiceSpec = z.infer<typeof serviceSpecSchema>;

export const serviceSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: objectMetaSchema,
  spec: serviceSpecSchema.default({}),
  status: z.strictObject({ loadBalancer: z.strictObject({ ingress: z.array(z.strictObject({ ip: z.string().optional(), hostname: z.string().optional() })).optional() }).optional() }).optional(),
});
export type Service = z.infer<typeof serviceSchema> & { metadata: { name: string } };

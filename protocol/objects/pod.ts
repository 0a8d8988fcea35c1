import { isIP } from 'node:net';
import { z } from 'zod';
import { conditionSchema, labelNameSchema, labelsSchema, objectMetaSchema, quantitySchema } from './meta.js';
import { isValidImageReference } from '../image-ref.js';

const intOrString = z.union([z.number().int(), z.string()]);

export const containerPortSchema = z.strictObject({
  name: z.string().max(15).optional(),
  containerPort: z.number().int().min(1).max(65535),
  hostPort: z.number().int().min(1).max(65535).optional(),
  hostIP: z.string().optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
});
export type ContainerPort = z.infer<typeof containerPortSchema>;

const keySelector = z.strictObject({ name: z.string().optional(), key: z.string(), optional: z.boolean().optional() });

export const envVarSchema = z.strictObject({
  name: z.string().min(1),
  value: z.string().optional(),
  valueFrom: z
    .strictObject({
      configMapKeyRef: keySelector.optional(),
      secretKeyRef: keySelector.optional(),
      fieldRef: z.strictObject({ apiVersion: z.string().optional(), fieldPath: z.string() }).optional(),
      resourceFieldRef: z
        .strictObject({ containerName: z.string().optional(), resource: z.string(), divisor: quantitySchema.optional() })
        .optional(),
    })
    .optional(),
});
export type EnvVar = z.infer<typeof envVarSchema>;

export const envFromSourceSchema = z.strictObject({
  prefix: z.string().optional(),
  configMapRef: z.strictObject({ name: z.string(), optional: z.boolean().optional() }).optional(),
  secretRef: z.strictObject({ name: z.string(), optional: z.boolean().optional() }).optional(),
});

export const resourceRequirementsSchema = z.strictObject({
  limits: z.record(z.string(), quantitySchema).optional(),
  requests: z.record(z.string(), quantitySchema).optional(),
});

const httpHeader = z.strictObject({ name: z.string(), value: z.string() });
export const probeSchema = z.strictObject({
  exec: z.strictObject({ command: z.array(z.string()) }).optional(),
  httpGet: z
    .strictObject({
      path: z.string().optional(),
      port: intOrString,
      host: z.string().optional(),
      scheme: z.enum(['HTTP', 'HTTPS']).optional(),
      httpHeaders: z.array(httpHeader).optional(),
    })
    .optional(),
  tcpSocket: z.strictObject({ port: intOrString, host: z.string().optional() }).optional(),
  initialDelaySeconds: z.number().int().min(0).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
  periodSeconds: z.number().int().min(1).optional(),
  successThreshold: z.number().int().min(1).optional(),
  failureThreshold: z.number().int().min(1).optional(),
  terminationGracePeriodSeconds: z.number().int().min(0).optional(),
});
export type Probe = z.infer<typeof probeSchema>;

export const volumeMountSchema = z.strictObject({
  name: z.string(),
  mountPath: z.string().startsWith('/', 'must be an absolute path'),
  readOnly: z.boolean().optional(),
  subPath: z.string().optional(),
});

const keyToPath = z.strictObject({ key: z.string(), path: z.string(), mode: z.number().int().optional() });
export const volumeSchema = z.strictObject({
  name: labelNameSchema,
  hostPath: z
    .strictObject({
      path: z.string().startsWith('/', 'must be an absolute path'),
      type: z
        .enum(['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'])
        .optional(),
    })
    .optional(),
  emptyDir: z.strictObject({ medium: z.enum(['', 'Memory']).optional(), sizeLimit: quantitySchema.optional() }).optional(),
  configMap: z
    .strictObject({
      name: z.string(),
      items: z.array(keyToPath).optional(),
      defaultMode: z.number().int().optional(),
      optional: z.boolean().optional(),
    })
    .optional(),
  secret: z
    .strictObject({
      secretName: z.string(),
      items: z.array(keyToPath).optional(),
      defaultMode: z.number().int().optional(),
      optional: z.boolean().optional(),
    })
    .optional(),
  /** A PersistentVolumeClaim in the pod's namespace: its bound volume's directory is bind-mounted (storage.ts). */
  persistentVolumeClaim: z.strictObject({ claimName: z.string().min(1, 'a claim name is required'), readOnly: z.boolean().optional() }).optional(),
});
export type Volume = z.infer<typeof volumeSchema>;

/** securityContext.seccompProfile: localhostProfile (a file under the node's seccomp directory) only with Localhost. */
export const seccompProfileSchema = z
  .strictObject({
    type: z.enum(['RuntimeDefault', 'Unconfined', 'Localhost']),
    localhostProfile: z
      .string()
      .min(1)
      .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path without ".."')
      .optional(),
  })
  .superRefine((p, ctx) => {
    if (p.type === 'Localhost' && !p.localhostProfile) ctx.addIssue({ code: 'custom', path: ['localhostProfile'], message: 'must be set when seccomp type is Localhost' });
    if (p.type !== 'Localhost' && p.localhostProfile) ctx.addIssue({ code: 'custom', path: ['localhostProfile'], message: 'can only be set when seccomp type is Localhost' });
  });
export type SeccompProfileSpec = z.infer<typeof seccompProfileSchema>;

const uidSchema = z.number().int().min(0).max(2147483647);

/** The container's securityContext (the fields Drover honours on both runtimes). */
export const securityContextSchema = z.strictObject({
  runAsUser: uidSchema.optional(),
  runAsGroup: uidSchema.optional(),
  runAsNonRoot: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  privileged: z.boolean().optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  capabilities: z.strictObject({ add: z.array(z.string().min(1)).optional(), drop: z.array(z.string().min(1)).optional() }).optional(),
  seccompProfile: seccompProfileSchema.optional(),
});
export type SecurityContext = z.infer<typeof securityContextSchema>;

/** The pod's securityContext: defaults for every container (theirs win), and the pod's groups. */
export const podSecurityContextSchema = z.strictObject({
  runAsUser: uidSchema.optional(),
  runAsGroup: uidSchema.optional(),
  runAsNonRoot: z.boolean().optional(),
  /** Added to every container's groups (the volumes' ownership is not changed: see agent/pods/README.md). */
  fsGroup: uidSchema.optional(),
  supplementalGroups: z.array(uidSchema).optional(),
  seccompProfile: seccompProfileSchema.optional(),
});
export type PodSecurityContext = z.infer<typeof podSecurityContextSchema>;

export const containerSchema = z.strictObject({
  name: labelNameSchema,
  image: z
    .string()
    .min(1)
    .refine(isValidImageReference, 'invalid image reference (expected [registry[:port]/]name[:tag][@digest], lowercase name)'),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  env: z.array(envVarSchema).optional(),
  envFrom: z.array(envFromSourceSchema).optional(),
  ports: z.array(containerPortSchema).optional(),
  resources: resourceRequirementsSchema.optional(),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  livenessProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  startupProbe: probeSchema.optional(),
  volumeMounts: z.array(volumeMountSchema).optional(),
  terminationMessagePath: z.string().optional(),
  terminationMessagePolicy: z.enum(['File', 'FallbackToLogsOnError']).optional(),
  stdin: z.boolean().optional(),
  tty: z.boolean().optional(),
  securityContext: securityContextSchema.optional(),
});
export type Container = z.infer<typeof containerSchema>;

export const tolerationSchema = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: z.enum(['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.number().int().optional(),
});
export type Toleration = z.infer<typeof tolerationSchema>;

export const nodeSelectorRequirementSchema = z.strictObject({
  key: z.string(),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
  values: z.array(z.string()).optional(),
});
export const nodeSelectorTermSchema = z.strictObject({
  matchExpressions: z.array(nodeSelectorRequirementSchema).optional(),
  matchFields: z.array(nodeSelectorRequirementSchema).optional(),
});
export const nodeAffinitySchema = z.strictObject({
  requiredDuringSchedulingIgnoredDuringExecution: z
    .strictObject({ nodeSelectorTerms: z.array(nodeSelectorTermSchema) })
    .optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z
    .array(z.strictObject({ weight: z.number().int().min(1).max(100), preference: nodeSelectorTermSchema }))
    .optional(),
});
export const affinitySchema = z.strictObject({ nodeAffinity: nodeAffinitySchema.optional() });

/**
 * spec.dnsConfig, as Kubernetes validates it: at most 3 nameservers (IPv4 or IPv6 addresses), at most 32
 * search domains, options as name with an optional value. Merged over what dnsPolicy gives; with
 * dnsPolicy None it is all the pod gets, so it must name a nameserver.
 */
export const podDnsConfigSchema = z.strictObject({
  nameservers: z
    .array(z.string().refine((s) => isIP(s) !== 0, 'must be an IP address such as 10.43.0.10'))
    .max(3, 'at most 3 nameservers (the resolver reads no more)')
    .optional(),
  searches: z
    .array(z.string().min(1).max(253).regex(/^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?\.?$/, 'must be a DNS domain such as ns1.svc.cluster.local'))
    .max(32, 'at most 32 search domains')
    .optional(),
  options: z.array(z.strictObject({ name: z.string().min(1), value: z.string().optional() })).optional(),
});
export type PodDnsConfig = z.infer<typeof podDnsConfigSchema>;

export const podSpecSchema = z.strictObject({
  containers: z.array(containerSchema).min(1, 'a pod needs at least one container'),
  restartPolicy: z.enum(['Always', 'OnFailure', 'Never']).optional(),
  nodeSelector: labelsSchema.optional(),
  nodeName: z.string().optional(),
  terminationGracePeriodSeconds: z.number().int().min(0).optional(),
  hostNetwork: z.boolean().optional(),
  volumes: z.array(volumeSchema).optional(),
  tolerations: z.array(tolerationSchema).optional(),
  affinity: affinitySchema.optional(),
  schedulerName: z.string().optional(),
  priority: z.number().int().optional(),
  dnsPolicy: z.enum(['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']).optional(),
  /** With dnsPolicy None, the whole of the pod's resolv.conf; otherwise added to it. */
  dnsConfig: podDnsConfigSchema.optional(),
  /** The pod's hostname (default its name); with `subdomain` = a headless Service, <hostname>.<subdomain>.<ns>.svc resolves to it. */
  hostname: labelNameSchema.optional(),
  subdomain: labelNameSchema.optional(),
  /** Kubernetes' service environment variables (FOO_SERVICE_HOST, ...) for the Services of the pod's namespace (default true). */
  enableServiceLinks: z.boolean().optional(),
  serviceAccountName: z.string().optional(),
  activeDeadlineSeconds: z.number().int().optional(),
  securityContext: podSecurityContextSchema.optional(),
}).superRefine((spec, ctx) => {
  if (spec.dnsPolicy === 'None' && !spec.dnsConfig?.nameservers?.length) {
    ctx.addIssue({ code: 'custom', path: ['dnsConfig', 'nameservers'], message: 'dnsPolicy None needs dnsConfig with at least one nameserver' });
  }
});
export type PodSpec = z.infer<typeof podSpecSchema>;

const stateWaiting = z.strictObject({ reason: z.string().optional(), message: z.string().optional() });
const stateRunning = z.strictObject({ startedAt: z.string().optional() });
const stateTerminated = z.strictObject({
  exitCode: z.number().int(),
  signal: z.number().int().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  containerID: z.string().optional(),
});
export const containerStateSchema = z.strictObject({
  waiting: stateWaiting.optional(),
  running: stateRunning.optional(),
  terminated: stateTerminated.optional(),
});
export type ContainerState = z.infer<typeof containerStateSchema>;

export const containerStatusSchema = z.strictObject({
  name: z.string(),
  state: containerStateSchema.optional(),
  lastState: containerStateSchema.optional(),
  ready: z.boolean(),
  started: z.boolean().optional(),
  restartCount: z.number().int(),
  image: z.string(),
  imageID: z.string().optional(),
  containerID: z.string().optional(),
});
export type ContainerStatus = z.infer<typeof containerStatusSchema>;

export const podPhaseSchema = z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);
export type PodPhase = z.infer<typeof podPhaseSchema>;

export const podStatusSchema = z.strictObject({
  phase: podPhaseSchema.optional(),
  conditions: z.array(conditionSchema).optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  hostIP: z.string().optional(),
  podIP: z.string().optional(),
  podIPs: z.array(z.strictObject({ ip: z.string() })).optional(),
  startTime: z.string().optional(),
  containerStatuses: z.array(containerStatusSchema).optional(),
  qosClass: z.string().optional(),
});
export type PodStatus = z.infer<typeof podStatusSchema>;

export const podSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Pod'),
  metadata: objectMetaSchema,
  spec: podSpecSchema,
  status: podStatusSchema.optional(),
});
export type Pod = z.infer<typeof podSchema> & { metadata: { name: string } };

export const podTemplateSpecSchema = z.strictObject({
  metadata: objectMetaSchema.optional(),
  spec: podSpecSchema,
});
export type PodTemplateSpec = z.infer<typeof podTemplateSpecSchema>;

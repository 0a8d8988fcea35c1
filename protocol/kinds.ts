import type { z } from 'zod';
import { namespaceSchema } from './objects/namespace.js';
import { nodeSchema } from './objects/node.js';
import { podSchema } from './objects/pod.js';
import { daemonSetSchema, deploymentSchema, replicaSetSchema } from './objects/workloads.js';
import { configMapSchema, secretSchema } from './objects/config.js';
import { eventSchema } from './objects/event.js';
import { serviceSchema } from './objects/service.js';
import { endpointSliceSchema } from './objects/endpoint-slice.js';
import { endpointsSchema } from './objects/endpoints.js';
import { leaseSchema } from './objects/lease.js';
import { podDisruptionBudgetSchema } from './objects/pod-disruption-budget.js';
import { jobSchema } from './objects/job.js';
import { cronJobSchema } from './objects/cron-job.js';
import { controllerRevisionSchema, statefulSetSchema } from './objects/stateful-set.js';
import { persistentVolumeClaimSchema, persistentVolumeSchema, storageClassSchema } from './objects/storage.js';
import { horizontalPodAutoscalerSchema } from './objects/horizontal-pod-autoscaler.js';
import { agentUpgradeSchema } from './objects/agent-upgrade.js';

/** What Drover knows of one kind: where it lives in the API and how to validate it. */
export interface KindInfo {
  kind: string;
  apiVersion: string;
  /** API group ('' for core). */
  group: string;
  version: string;
  /** Lower-case plural used in URLs and the CLI. */
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  schema: z.ZodType;
}

/** Every kind Drover serves, in one table (discovery, the API's routes, the CLI's resource names). */
const KINDS: readonly KindInfo[] = [
  { kind: 'Namespace', apiVersion: 'v1', group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', shortNames: ['ns'], namespaced: false, schema: namespaceSchema },
  { kind: 'Node', apiVersion: 'v1', group: '', version: 'v1', plural: 'nodes', singular: 'node', shortNames: ['no'], namespaced: false, schema: nodeSchema },
  { kind: 'Pod', apiVersion: 'v1', group: '', version: 'v1', plural: 'pods', singular: 'pod', shortNames: ['po'], namespaced: true, schema: podSchema },
  { kind: 'Event', apiVersion: 'v1', group: '', version: 'v1', plural: 'events', singular: 'event', shortNames: ['ev'], namespaced: true, schema: eventSchema },
  { kind: 'ConfigMap', apiVersion: 'v1', group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', shortNames: ['cm'], namespaced: true, schema: configMapSchema },
  { kind: 'Secret', apiVersion: 'v1', group: '', version: 'v1', plural: 'secrets', singular: 'secret', shortNames: [], namespaced: true, schema: secretSchema },
  { kind: 'Deployment', apiVersion: 'apps/v1', group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', shortNames: ['deploy'], namespaced: true, schema: deploymentSchema },
  { kind: 'ReplicaSet', apiVersion: 'apps/v1', group: 'apps', version: 'v1', plural: 'replicasets', singular: 'replicaset', shortNames: ['rs'], namespaced: true, schema: replicaSetSchema },
  { kind: 'Service', apiVersion: 'v1', group: '', version: 'v1', plural: 'services', singular: 'service', shortNames: ['svc'], namespaced: true, schema: serviceSchema },
  { kind: 'Endpoints', apiVersion: 'v1', group: '', version: 'v1', plural: 'endpoints', singular: 'endpoints', shortNames: ['ep'], namespaced: true, schema: endpointsSchema },
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', singular: 'endpointslice', shortNames: [], namespaced: true, schema: endpointSliceSchema },
  { kind: 'DaemonSet', apiVersion: 'apps/v1', group: 'apps', version: 'v1', plural: 'daemonsets', singular: 'daemonset', shortNames: ['ds'], namespaced: true, schema: daemonSetSchema },
  { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', group: 'coordination.k8s.io', version: 'v1', plural: 'leases', singular: 'lease', shortNames: [], namespaced: true, schema: leaseSchema },
  { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1', group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', singular: 'poddisruptionbudget', shortNames: ['pdb'], namespaced: true, schema: podDisruptionBudgetSchema },
  { kind: 'Job', apiVersion: 'batch/v1', group: 'batch', version: 'v1', plural: 'jobs', singular: 'job', shortNames: [], namespaced: true, schema: jobSchema },
  { kind: 'CronJob', apiVersion: 'batch/v1', group: 'batch', version: 'v1', plural: 'cronjobs', singular: 'cronjob', shortNames: ['cj'], namespaced: true, schema: cronJobSchema },
  { kind: 'StatefulSet', apiVersion: 'apps/v1', group: 'apps', version: 'v1', plural: 'statefulsets', singular: 'statefulset', shortNames: ['sts'], namespaced: true, schema: statefulSetSchema },
  { kind: 'ControllerRevision', apiVersion: 'apps/v1', group: 'apps', version: 'v1', plural: 'controllerrevisions', singular: 'controllerrevision', shortNames: [], namespaced: true, schema: controllerRevisionSchema },
  { kind: 'PersistentVolumeClaim', apiVersion: 'v1', group: '', version: 'v1', plural: 'persistentvolumeclaims', singular: 'persistentvolumeclaim', shortNames: ['pvc'], namespaced: true, schema: persistentVolumeClaimSchema },
  { kind: 'PersistentVolume', apiVersion: 'v1', group: '', version: 'v1', plural: 'persistentvolumes', singular: 'persistentvolume', shortNames: ['pv'], namespaced: false, schema: persistentVolumeSchema },
  { kind: 'StorageClass', apiVersion: 'storage.k8s.io/v1', group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', singular: 'storageclass', shortNames: ['sc'], namespaced: false, schema: storageClassSchema },
  { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2', group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', shortNames: ['hpa'], namespaced: true, schema: horizontalPodAutoscalerSchema },
  { kind: 'AgentUpgrade', apiVersion: 'drover.io/v1', group: 'drover.io', version: 'v1', plural: 'agentupgrades', singular: 'agentupgrade', shortNames: ['au'], namespaced: false, schema: agentUpgradeSchema },
];

export function allKinds(): readonly KindInfo[] {
  return KINDS;
}

export function kindByName(kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind);
}

/** Resolve what a user typed on the CLI ("pods", "pod", "po", "Pod", "deployments.apps"). */
export function resolveResource(name: string): KindInfo | undefined {
  const n = name.toLowerCase().replace(/\.(apps|core|batch|autoscaling|storage\.k8s\.io)$/, '');
  return KINDS.find((k) => k.plural === n || k.singular === n || k.shortNames.includes(n) || k.kind.toLowerCase() === n);
}

export function kindByPlural(group: string, plural: string): KindInfo | undefined {
  return KINDS.find((k) => k.group === group && k.plural === plural);
}

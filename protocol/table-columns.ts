/**
 * The columns of each kind as kubectl prints them (`get`, `get -o wide`): one table for the CLI's
 * printers and the API's Table responses (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), so
 * `drover get` and `kubectl get` show the same thing. Wide-only columns are priority 1 in a Table.
 */
import { selectorToString } from './labels.js';
import type { EndpointSlice } from './objects/endpoint-slice.js';
import type { Endpoints } from './objects/endpoints.js';
import type { KubeObject } from './objects/meta.js';
import type { Node } from './objects/node.js';
import type { Pod } from './objects/pod.js';
import type { Service } from './objects/service.js';
import type { DaemonSet, Deployment, ReplicaSet } from './objects/workloads.js';
import type { ControllerRevision, StatefulSet } from './objects/stateful-set.js';
import type { PodDisruptionBudget } from './objects/pod-disruption-budget.js';
import { formatBytes, memoryToBytes, parseQuantity } from './quantity.js';
import { podDisplayStatus, podPorts, podReady, podRestarts, shortAge } from './pod-display.js';
import { LABEL_ARCH } from './well-known.js';
import { CRONJOB_COLUMNS, JOB_COLUMNS } from './batch-columns.js';
import { PV_COLUMNS, PVC_COLUMNS, STORAGECLASS_COLUMNS } from './storage-columns.js';
import { HPA_COLUMNS } from './hpa-columns.js';

export type Workload = Deployment | ReplicaSet | DaemonSet | StatefulSet;

export function containerNames(obj: Workload): string {
  return obj.spec.template.spec.containers.map((c) => c.name).join(',');
}

export function containerImages(obj: Workload): string {
  return obj.spec.template.spec.containers.map((c) => c.image).join(',');
}

export function selectorText(obj: Workload): string {
  return selectorToString(obj.spec.selector) || '<none>';
}

export interface Column {
  header: string;
  value: (obj: KubeObject, now: number) => string;
  wideOnly?: boolean;
}

export const age: Column = { header: 'AGE', value: (o, now) => shortAge(o.metadata.creationTimestamp, now) };

function nodeStatus(n: Node): string {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  // As kubectl: anything but Ready=True (False, Unknown, no condition yet) is NotReady.
  let s = ready?.status === 'True' ? 'Ready' : 'NotReady';
  if (n.spec?.unschedulable) s += ',SchedulingDisabled';
  return s;
}

function nodeRoles(n: Node): string {
  const roles = Object.keys(n.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean);
  return roles.length ? roles.sort().join(',') : '<none>';
}

function address(n: Node, type: string): string {
  return n.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

function safeQuantity(v: string | undefined, f: (s: string) => string): string {
  if (v === undefined) return '<none>';
  try {
    return f(v);
  } catch {
    return v; // not a quantity we can parse: show it as reported
  }
}

const NODE_COLUMNS: Column[] = [
  { header: 'STATUS', value: (o) => nodeStatus(o as Node) },
  { header: 'ROLES', value: (o) => nodeRoles(o as Node) },
  age,
  { header: 'VERSION', value: (o) => (o as Node).status?.nodeInfo?.kubeletVersion ?? '' },
  { header: 'INTERNAL-IP', value: (o) => address(o as Node, 'InternalIP'), wideOnly: true },
  { header: 'OS-IMAGE', value: (o) => (o as Node).status?.nodeInfo?.osImage ?? '<unknown>', wideOnly: true },
  { header: 'KERNEL-VERSION', value: (o) => (o as Node).status?.nodeInfo?.kernelVersion ?? '<unknown>', wideOnly: true },
  { header: 'CONTAINER-RUNTIME', value: (o) => (o as Node).status?.nodeInfo?.containerRuntimeVersion ?? '<unknown>', wideOnly: true },
  { header: 'CPU', value: (o) => safeQuantity((o as Node).status?.capacity?.cpu, (v) => String(parseQuantity(v))), wideOnly: true },
  { header: 'MEMORY', value: (o) => safeQuantity((o as Node).status?.capacity?.memory, (v) => formatBytes(memoryToBytes(v))), wideOnly: true },
  {
    header: 'ARCH',
    value: (o) => (o as Node).status?.nodeInfo?.architecture ?? (o as Node).metadata.labels?.[LABEL_ARCH] ?? '<unknown>',
    wideOnly: true,
  },
];

const POD_COLUMNS: Column[] = [
  { header: 'READY', value: (o) => podReady(o as Pod) },
  { header: 'STATUS', value: (o) => podDisplayStatus(o as Pod) },
  { header: 'RESTARTS', value: (o) => String(podRestarts(o as Pod)) },
  age,
  { header: 'IP', value: (o) => (o as Pod).status?.podIP ?? '<none>', wideOnly: true },
  { header: 'NODE', value: (o) => (o as Pod).spec?.nodeName ?? '<none>', wideOnly: true },
  { header: 'PORTS', value: (o) => podPorts(o as Pod).join(',') || '<none>', wideOnly: true },
];

const NAMESPACE_COLUMNS: Column[] = [{ header: 'STATUS', value: (o) => String((o.status as { phase?: string } | undefined)?.phase ?? 'Active') }, age];

export interface EventLike {
  type?: string;
  reason?: string;
  message?: string;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  firstTimestamp?: string | null;
  involvedObject?: { kind?: string; name?: string };
}

export function eventTime(e: EventLike & KubeObject): string | undefined {
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? undefined;
}

// Events put LAST SEEN first, so their name column is replaced rather than prefixed.
const EVENT_COLUMNS: Column[] = [
  { header: 'TYPE', value: (o) => (o as EventLike & KubeObject).type ?? '' },
  { header: 'REASON', value: (o) => (o as EventLike & KubeObject).reason ?? '' },
  {
    header: 'OBJECT',
    value: (o) => {
      const io = (o as EventLike & KubeObject).involvedObject;
      return io ? `${(io.kind ?? '').toLowerCase()}/${io.name ?? ''}` : '';
    },
  },
  { header: 'MESSAGE', value: (o) => ((o as EventLike & KubeObject).message ?? '').replace(/\s+/g, ' ') },
];

const n = (v: number | undefined): string => String(v ?? 0);
const WORKLOAD_WIDE: Column[] = [
  { header: 'CONTAINERS', value: (o) => containerNames(o as Workload), wideOnly: true },
  { header: 'IMAGES', value: (o) => containerImages(o as Workload), wideOnly: true },
  { header: 'SELECTOR', value: (o) => selectorText(o as Workload), wideOnly: true },
];

const DEPLOYMENT_COLUMNS: Column[] = [
  { header: 'READY', value: (o) => `${n((o as Deployment).status?.readyReplicas)}/${(o as Deployment).spec.replicas ?? 1}` },
  { header: 'UP-TO-DATE', value: (o) => n((o as Deployment).status?.updatedReplicas) },
  { header: 'AVAILABLE', value: (o) => n((o as Deployment).status?.availableReplicas) },
  age,
  ...WORKLOAD_WIDE,
];

const REPLICASET_COLUMNS: Column[] = [
  { header: 'DESIRED', value: (o) => String((o as ReplicaSet).spec.replicas ?? 1) },
  { header: 'CURRENT', value: (o) => n((o as ReplicaSet).status?.replicas) },
  { header: 'READY', value: (o) => n((o as ReplicaSet).status?.readyReplicas) },
  age,
  ...WORKLOAD_WIDE,
];

function nodeSelectorText(ds: DaemonSet): string {
  const sel = ds.spec.template.spec.nodeSelector ?? {};
  const parts = Object.entries(sel).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(',') : '<none>';
}

/** kubectl's PodDisruptionBudget columns: MIN AVAILABLE, MAX UNAVAILABLE ("N/A" for the one not set), ALLOWED DISRUPTIONS. */
const PDB_COLUMNS: Column[] = [
  { header: 'MIN AVAILABLE', value: (o) => String((o as PodDisruptionBudget).spec.minAvailable ?? 'N/A') },
  { header: 'MAX UNAVAILABLE', value: (o) => String((o as PodDisruptionBudget).spec.maxUnavailable ?? 'N/A') },
  { header: 'ALLOWED DISRUPTIONS', value: (o) => n((o as PodDisruptionBudget).status?.disruptionsAllowed) },
];

const DAEMONSET_COLUMNS: Column[] = [
  { header: 'DESIRED', value: (o) => n((o as DaemonSet).status?.desiredNumberScheduled) },
  { header: 'CURRENT', value: (o) => n((o as DaemonSet).status?.currentNumberScheduled) },
  { header: 'READY', value: (o) => n((o as DaemonSet).status?.numberReady) },
  { header: 'UP-TO-DATE', value: (o) => n((o as DaemonSet).status?.updatedNumberScheduled) },
  { header: 'AVAILABLE', value: (o) => n((o as DaemonSet).status?.numberAvailable) },
  { header: 'NODE SELECTOR', value: (o) => nodeSelectorText(o as DaemonSet) },
  age,
  ...WORKLOAD_WIDE,
];

/** kubectl's StatefulSet columns: READY as ready/desired, then AGE (and the wide workload columns). */
const STATEFULSET_COLUMNS: Column[] = [
  { header: 'READY', value: (o) => `${n((o as StatefulSet).status?.readyReplicas)}/${(o as StatefulSet).spec.replicas ?? 1}` },
  age,
  ...WORKLOAD_WIDE,
];

const CONTROLLERREVISION_COLUMNS: Column[] = [
  {
    header: 'CONTROLLER',
    value: (o) => {
      const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller);
      return ref ? `${ref.kind.toLowerCase()}.${ref.apiVersion.split('/')[0]}/${ref.name}` : '<none>';
    },
  },
  { header: 'REVISION', value: (o) => String((o as ControllerRevision).revision) },
  age,
];

type ConfigObject = KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string>; type?: string };

const dataCount = (o: KubeObject): string => {
  const c = o as ConfigObject;
  return String(Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length);
};

/** The columns between NAME and AGE. */
export function configColumns(kind: 'ConfigMap' | 'Secret'): Column[] {
  const data = { header: 'DATA', value: dataCount };
  return kind === 'Secret' ? [{ header: 'TYPE', value: (o) => (o as ConfigObject).type ?? 'Opaque' }, data] : [data];
}

/** "80:30080/TCP,53/UDP" as kubectl's PORT(S). */
export function servicePorts(s: Service): string {
  const ports = (s.spec.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`);
  return ports.join(',') || '<none>';
}

export const serviceSelector = (s: Service): string =>
  Object.entries(s.spec.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '<none>';

/** EXTERNAL-IP: <pending> for a LoadBalancer (none is coming on a fleet), <none> otherwise. */
const externalIP = (s: Service): string => ((s.spec.type ?? 'ClusterIP') === 'LoadBalancer' ? '<pending>' : '<none>');

export const SERVICE_COLUMNS: Column[] = [
  { header: 'TYPE', value: (o) => (o as Service).spec.type ?? 'ClusterIP' },
  { header: 'CLUSTER-IP', value: (o) => (o as Service).spec.clusterIP || '<none>' },
  { header: 'EXTERNAL-IP', value: (o) => externalIP(o as Service) },
  { header: 'PORT(S)', value: (o) => servicePorts(o as Service) },
];
export const SERVICE_WIDE: Column[] = [{ header: 'SELECTOR', value: (o) => serviceSelector(o as Service), wideOnly: true }];

/** kubectl's ENDPOINTS: the first three addresses, then "+ N more...". */
export function sliceEndpoints(s: EndpointSlice): string {
  const ips = s.endpoints.filter((e) => e.conditions?.ready !== false).map((e) => e.addresses[0]!);
  if (ips.length === 0) return '<unset>';
  return ips.length > 3 ? `${ips.slice(0, 3).join(',')} + ${ips.length - 3} more...` : ips.join(',');
}

export const ENDPOINTSLICE_COLUMNS: Column[] = [
  { header: 'ADDRESSTYPE', value: (o) => (o as EndpointSlice).addressType },
  { header: 'PORTS', value: (o) => ((o as EndpointSlice).ports ?? []).map((p) => String(p.port ?? '<unset>')).join(',') || '<unset>' },
  { header: 'ENDPOINTS', value: (o) => sliceEndpoints(o as EndpointSlice) },
];

/** kubectl's ENDPOINTS of a v1 Endpoints: ip:port of the ready addresses, the first three, then "+ N more...". */
export function endpointsList(e: Endpoints): string {
  const all: string[] = [];
  for (const subset of e.subsets ?? []) {
    const ports = subset.ports?.length ? subset.ports.map((p) => p.port) : [undefined];
    for (const a of subset.addresses ?? []) for (const port of ports) all.push(port === undefined ? a.ip : `${a.ip}:${port}`);
  }
  if (all.length === 0) return '<none>';
  return all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',');
}

export const ENDPOINTS_COLUMNS: Column[] = [{ header: 'ENDPOINTS', value: (o) => endpointsList(o as Endpoints) }];

/** Objects in the order kubectl prints them: events by time (oldest first), everything else as listed. */
export function sortForDisplay(kind: string, objects: KubeObject[]): KubeObject[] {
  if (kind !== 'Event') return objects;
  const t = (o: KubeObject) => Date.parse(eventTime(o as EventLike & KubeObject) ?? '') || 0;
  return [...objects].sort((a, b) => t(a) - t(b));
}

/** The columns after NAME for objects of `kind` (AGE alone for a kind without its own). */
export function columnsFor(kind: string): Column[] {
  switch (kind) {
    case 'Node':
      return NODE_COLUMNS;
    case 'Pod':
      return POD_COLUMNS;
    case 'Namespace':
      return NAMESPACE_COLUMNS;
    case 'Event':
      return EVENT_COLUMNS;
    case 'ConfigMap':
    case 'Secret':
      return [...configColumns(kind), age];
    case 'Deployment':
      return DEPLOYMENT_COLUMNS;
    case 'ReplicaSet':
      return REPLICASET_COLUMNS;
    case 'Service':
      return [...SERVICE_COLUMNS, age, ...SERVICE_WIDE];
    case 'EndpointSlice':
      return [...ENDPOINTSLICE_COLUMNS, age];
    case 'Endpoints':
      return [...ENDPOINTS_COLUMNS, age];
    case 'DaemonSet':
      return DAEMONSET_COLUMNS;
    case 'Lease':
      return [{ header: 'HOLDER', value: (o) => (o as KubeObject & { spec?: { holderIdentity?: string } }).spec?.holderIdentity ?? '' }, age];
    case 'PodDisruptionBudget':
      return [...PDB_COLUMNS, age];
    case 'Job':
      return JOB_COLUMNS;
    case 'CronJob':
      return CRONJOB_COLUMNS;
    case 'StatefulSet':
      return STATEFULSET_COLUMNS;
    case 'ControllerRevision':
      return CONTROLLERREVISION_COLUMNS;
    case 'PersistentVolumeClaim':
      return PVC_COLUMNS;
    case 'PersistentVolume':
      return PV_COLUMNS;
    case 'StorageClass':
      return STORAGECLASS_COLUMNS;
    case 'HorizontalPodAutoscaler':
      return HPA_COLUMNS;
    default:
      return [age];
  }
}


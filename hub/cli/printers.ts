/**
 * kubectl-like output: aligned tables per kind (nodes, pods, namespaces, events, deployments,
 * replicasets, daemonsets, generic NAME AGE), and -o wide|json|yaml|name.
 */
import { stringify } from 'yaml';
import { kindByName } from '../../protocol/kinds.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import type { Node } from '../../protocol/objects/node.js';
import type { Pod } from '../../protocol/objects/pod.js';
import type { DaemonSet, Deployment, ReplicaSet } from '../../protocol/objects/workloads.js';
import { formatBytes, memoryToBytes, parseQuantity } from '../../protocol/quantity.js';
import { podDisplayStatus, podPorts, podReady, podRestarts, shortAge } from '../../protocol/pod-display.js';
import { configColumns } from './config-printers.js';
import { ENDPOINTS_COLUMNS, ENDPOINTSLICE_COLUMNS, SERVICE_COLUMNS, SERVICE_WIDE } from './network-printers.js';
import { UsageError } from './errors.js';
import { containerImages, containerNames, selectorText, type Workload } from './workloads.js';
import { LABEL_ARCH } from '../../protocol/well-known.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '') return 'table';
  if (['wide', 'json', 'yaml', 'name'].includes(value)) return value as OutputFormat;
  throw new UsageError(`unknown output format "${value}": use one of json, yaml, wide, name`);
}

/** Columns padded to their widest cell, three spaces apart, as kubectl prints them. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

interface Column {
  header: string;
  value: (obj: KubeObject, now: number) => string;
  wideOnly?: boolean;
}

const age: Column = { header: 'AGE', value: (o, now) => shortAge(o.metadata.creationTimestamp, now) };

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

interface EventLike {
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

/** Objects in the order kubectl prints them: events by time (oldest first), everything else as listed. */
export function sortForDisplay(kind: string, objects: KubeObject[]): KubeObject[] {
  if (kind !== 'Event') return objects;
  const t = (o: KubeObject) => Date.parse(eventTime(o as EventLike & KubeObject) ?? '') || 0;
  return [...objects].sort((a, b) => t(a) - t(b));
}

function columnsFor(kind: string): Column[] {
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
    default:
      return [age];
  }
}

export function qualifiedName(obj: KubeObject): string {
  const info = kindByName(obj.kind);
  const resource = info ? (info.group ? `${info.singular}.${info.group}` : info.singular) : obj.kind.toLowerCase();
  return `${resource}/${obj.metadata.name}`;
}

export interface TableOptions {
  wide: boolean;
  withNamespace: boolean;
  /** Prefix names with their kind (pod/web), as kubectl does when several kinds are printed. */
  withKind: boolean;
  noHeaders?: boolean;
  now: number;
}

/** Rows (and headers) for objects of one kind. */
export function tableFor(kind: string, objects: KubeObject[], opts: TableOptions): { headers: string[]; rows: string[][] } {
  const cols = columnsFor(kind).filter((c) => opts.wide || !c.wideOnly);
  const headers: string[] = [];
  if (opts.withNamespace) headers.push('NAMESPACE');
  if (kind === 'Event') headers.push('LAST SEEN');
  else headers.push('NAME');
  headers.push(...cols.map((c) => c.header));
  const rows = sortForDisplay(kind, objects).map((o) => {
    const row: string[] = [];
    if (opts.withNamespace) row.push(o.metadata.namespace ?? '');
    if (kind === 'Event') row.push(shortAge(eventTime(o as EventLike & KubeObject), opts.now));
    else row.push(opts.withKind ? qualifiedName(o) : o.metadata.name);
    row.push(...cols.map((c) => c.value(o, opts.now)));
    return row;
  });
  return { headers, rows };
}

export function listDocument(items: KubeObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
}

/** Serialise for -o json|yaml. */
export function serialize(doc: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(doc, null, 4)}\n` : stringify(doc, { lineWidth: 0 });
}

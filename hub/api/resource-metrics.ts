/**
 * `metrics.k8s.io/v1beta1`, the resource metrics API metrics-server serves in Kubernetes (`kubectl
 * top nodes`, `kubectl top pods [--containers]`, the HPA's CPU and memory), answered from what agents
 * report in their heartbeats and the hub holds in memory (hub/leases): NodeMetrics from the node's
 * usage (CPU share of its capacity, memory used), PodMetrics from the per-container cgroup readings
 * of the agent's last pod usage sample. Nothing of it is stored; a hub restart forgets it until the
 * next heartbeats. get and list only (metrics-server has no watch either), RBAC as reading nodes and
 * pods.
 */
import { cpuToMillis } from '../../protocol/quantity.js';
import type { Node } from '../../protocol/objects/node.js';
import type { Pod } from '../../protocol/objects/pod.js';
import type { PodUsageEntry } from '../../protocol/pod-usage.js';
import { authorize } from './auth.js';
import type { ApiDeps, Reply, RequestContext } from './context.js';
import { matchesSelectors, parseSelectors } from './selectors.js';
import { apiErrors } from './status.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;
/** Node usage is the agent's heartbeat reading; without a pod sample's own window, this one. */
const DEFAULT_WINDOW_SECONDS = 5;

export interface MetricsRoute {
  type: 'resourceMetrics';
  resource: 'nodes' | 'pods';
  namespace: string | undefined;
  name: string | undefined;
}

/** /apis/metrics.k8s.io/v1beta1/... below the group-version (`segs` after it); undefined = not a metrics path. */
export function parseMetricsRoute(segs: readonly string[]): MetricsRoute | undefined {
  const [a, b, c, d, ...rest] = segs.map((s) => decodeURIComponent(s));
  if (rest.length > 0 || [a, b, c, d].some((s) => s === '')) return undefined;
  if (a === 'nodes' && c === undefined) return { type: 'resourceMetrics', resource: 'nodes', namespace: undefined, name: b };
  if (a === 'pods' && b === undefined) return { type: 'resourceMetrics', resource: 'pods', namespace: undefined, name: undefined };
  if (a === 'namespaces' && b !== undefined && c === 'pods') return { type: 'resourceMetrics', resource: 'pods', namespace: b, name: d };
  return undefined;
}

/** The discovery entries of metrics.k8s.io/v1beta1. */
export function metricsResources(): unknown[] {
  return [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ];
}

/** Kubernetes' duration text ("5s", "10.5s"). */
function duration(seconds: number): string {
  return `${Number(seconds.toFixed(3))}s`;
}

function cpuQuantity(nanoCores: number): string {
  return `${Math.max(0, Math.round(nanoCores))}n`;
}

function memoryQuantity(bytes: number): string {
  const b = Math.max(0, Math.round(bytes));
  return b % 1024 === 0 ? `${b / 1024}Ki` : String(b);
}

function nodeMetricsOf(node: Node, deps: ApiDeps): unknown {
  const usage = deps.leases?.get(node.metadata.name)?.usage;
  if (!usage) return undefined;
  const cores = cpuToMillis(node.status?.capacity?.cpu ?? '0') / 1000;
  return {
    kind: 'NodeMetrics',
    apiVersion: API_VERSION,
    metadata: { name: node.metadata.name, creationTimestamp: new Date(deps.clock()).toISOString().replace(/\.\d{3}Z$/, 'Z'), labels: node.metadata.labels ?? {} },
    timestamp: usage.timestamp,
    window: duration(deps.leases?.get(node.metadata.name)?.podUsage?.windowSeconds ?? DEFAULT_WINDOW_SECONDS),
    usage: { cpu: cpuQuantity((usage.cpuPercent / 100) * cores * 1e9), memory: memoryQuantity(usage.memoryUsedBytes) },
  };
}

function podMetricsOf(pod: Pod, entry: PodUsageEntry, sample: { timestamp: string; windowSeconds: number }, deps: ApiDeps): unknown {
  return {
    kind: 'PodMetrics',
    apiVersion: API_VERSION,
    metadata: {
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      creationTimestamp: new Date(deps.clock()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      labels: pod.metadata.labels ?? {},
    },
    timestamp: sample.timestamp,
    window: duration(sample.windowSeconds),
    containers: entry.containers.map((c) => ({ name: c.name, usage: { cpu: cpuQuantity(c.cpuNanoCores), memory: memoryQuantity(c.memoryBytes) } })),
  };
}

/** The PodMetrics of a pod, from its node's last pod usage sample (only while the pod is bound there and reported). */
function podMetrics(pod: Pod, deps: ApiDeps): unknown {
  const nodeName = pod.spec.nodeName;
  if (!nodeName) return undefined;
  const sample = deps.leases?.get(nodeName)?.podUsage;
  const entry = sample?.pods.find((p) => p.namespace === pod.metadata.namespace && p.name === pod.metadata.name && (p.uid === undefined || p.uid === pod.metadata.uid));
  return sample && entry ? podMetricsOf(pod, entry, sample, deps) : undefined;
}

export function handleResourceMetrics(ctx: RequestContext, route: MetricsRoute, deps: ApiDeps): Reply {
  if (ctx.method !== 'GET') throw apiErrors.methodNotAllowed(`metrics.k8s.io ${route.resource} are read only (get, list)`);
  const verb = route.name === undefined ? 'list' : 'get';
  if (ctx.principal) {
    authorize(ctx.principal, {
      verb,
      resource: route.resource,
      namespace: route.namespace,
      namespaced: route.resource === 'pods',
      ...(route.name !== undefined ? { name: route.name } : {}),
    });
  }
  if (ctx.url.searchParams.get('watch') === 'true' || ctx.url.searchParams.get('watch') === '1') {
    throw apiErrors.methodNotAllowed('metrics.k8s.io has no watch: list again');
  }
  const selectors = parseSelectors(ctx.url.searchParams);
  const listMeta = { resourceVersion: '' };
  if (route.resource === 'nodes') {
    const nodes = deps.cache.kind<Node>('Node');
    if (route.name !== undefined) {
      const node = nodes.get('', route.name);
      const metrics = node && nodeMetricsOf(node, deps);
      if (!metrics) throw apiErrors.notFound('nodes', route.name, METRICS_GROUP);
      return { code: 200, body: metrics };
    }
    const items = nodes
      .list()
      .filter((n) => matchesSelectors(n, selectors))
      .map((n) => nodeMetricsOf(n, deps))
      .filter((m) => m !== undefined);
    return { code: 200, body: { kind: 'NodeMetricsList', apiVersion: API_VERSION, metadata: listMeta, items } };
  }
  const pods = deps.cache.kind<Pod>('Pod');
  if (route.name !== undefined) {
    const pod = pods.get(route.namespace ?? '', route.name);
    const metrics = pod && podMetrics(pod, deps);
    if (!metrics) throw apiErrors.notFound('pods', route.name, METRICS_GROUP);
    return { code: 200, body: metrics };
  }
  const items = pods
    .list({ ...(route.namespace !== undefined ? { namespace: route.namespace } : {}) })
    .filter((p) => matchesSelectors(p, selectors))
    .map((p) => podMetrics(p, deps))
    .filter((m) => m !== undefined);
  return { code: 200, body: { kind: 'PodMetricsList', apiVersion: API_VERSION, metadata: listMeta, items } };
}

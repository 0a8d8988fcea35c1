/**
 * kubectl's columns for autoscaling/v2 HorizontalPodAutoscaler: NAME REFERENCE TARGETS MINPODS MAXPODS
 * REPLICAS AGE, TARGETS as kubectl's printer formats them ("cpu: 45%/60%", "memory: 30Mi/100Mi",
 * "<unknown>" before the first measurement, at most two then "+ N more...").
 */
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from './objects/horizontal-pod-autoscaler.js';
import { shortAge } from './pod-display.js';
import type { Column } from './table-columns.js';

function formatOne(spec: MetricSpec, status: MetricStatus | undefined): string {
  const source = spec.type === 'ContainerResource' ? spec.containerResource : spec.resource;
  const current = spec.type === 'ContainerResource' ? status?.containerResource?.current : status?.resource?.current;
  if (!source) return '<unknown type>';
  if (source.target.type === 'AverageValue') return `${source.name}: ${current?.averageValue ?? '<unknown>'}/${source.target.averageValue ?? '<unknown>'}`;
  const now = current?.averageUtilization !== undefined ? `${current.averageUtilization}%` : '<unknown>';
  const target = source.target.averageUtilization !== undefined ? `${source.target.averageUtilization}%` : '<auto>';
  return `${source.name}: ${now}/${target}`;
}

/** kubectl's TARGETS cell. */
export function hpaTargetsText(hpa: HorizontalPodAutoscaler): string {
  const specs = hpa.spec.metrics ?? [];
  if (specs.length === 0) return '<none>';
  const statuses = hpa.status?.currentMetrics ?? [];
  const list = specs.map((s, i) => formatOne(s, statuses[i]));
  return list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
}

const hpa = (o: unknown): HorizontalPodAutoscaler => o as HorizontalPodAutoscaler;

export const HPA_COLUMNS: Column[] = [
  { header: 'REFERENCE', value: (o) => `${hpa(o).spec.scaleTargetRef.kind}/${hpa(o).spec.scaleTargetRef.name}` },
  { header: 'TARGETS', value: (o) => hpaTargetsText(hpa(o)) },
  { header: 'MINPODS', value: (o) => (hpa(o).spec.minReplicas !== undefined ? String(hpa(o).spec.minReplicas) : '<unset>') },
  { header: 'MAXPODS', value: (o) => String(hpa(o).spec.maxReplicas) },
  { header: 'REPLICAS', value: (o) => String(hpa(o).status?.currentReplicas ?? 0) },
  { header: 'AGE', value: (o, now) => shortAge(o.metadata.creationTimestamp, now) },
];

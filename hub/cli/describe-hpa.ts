/**
 * `drover describe hpa`, laid out as kubectl's HorizontalPodAutoscaler describer: reference, each
 * metric as "current / target", min/max, the behavior, "<Kind> pods: N current / M desired", the
 * conditions with their messages (why it scaled or did not), events.
 */
import type { HPAScalingRules, HorizontalPodAutoscaler } from '../../protocol/objects/horizontal-pod-autoscaler.js';
import { eventsSection, shownAnnotations, Text, type EventObject } from './describe-text.js';
import { renderTable } from './printers.js';

function metricLines(hpa: HorizontalPodAutoscaler): string[][] {
  return (hpa.spec.metrics ?? []).map((spec, i) => {
    const status = hpa.status?.currentMetrics?.[i];
    const src = spec.type === 'ContainerResource' ? spec.containerResource! : spec.resource!;
    const current = spec.type === 'ContainerResource' ? status?.containerResource?.current : status?.resource?.current;
    const on = spec.type === 'ContainerResource' ? `resource ${src.name} of container "${spec.containerResource!.container}" on pods` : `resource ${src.name} on pods`;
    if (src.target.type === 'Utilization') {
      const now = current?.averageUtilization !== undefined ? `${current.averageUtilization}% (${current.averageValue ?? '<unknown>'})` : '<unknown>';
      return [`${on}  (as a percentage of request):`, `${now} / ${src.target.averageUtilization}%`];
    }
    return [`${on}:`, `${current?.averageValue ?? '<unknown>'} / ${src.target.averageValue}`];
  });
}

function rules(t: Text, title: string, r: HPAScalingRules | undefined): void {
  if (!r) return;
  t.line(`  ${title}:`);
  t.field('Stabilization Window', r.stabilizationWindowSeconds !== undefined ? `${r.stabilizationWindowSeconds} seconds` : '<unset>', 4);
  t.field('Select Policy', r.selectPolicy ?? 'Max', 4);
  t.line('    Policies:');
  for (const p of r.policies ?? []) t.line(`      - Type: ${p.type.padEnd(8)} Value: ${p.value}  Period: ${p.periodSeconds} seconds`);
}

export function describeHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler, events: EventObject[], now: number): string {
  const t = new Text();
  t.field('Name', hpa.metadata.name)
    .field('Namespace', hpa.metadata.namespace)
    .map('Labels', hpa.metadata.labels)
    .map('Annotations', shownAnnotations(hpa))
    .field('CreationTimestamp', hpa.metadata.creationTimestamp ?? undefined)
    .field('Reference', `${hpa.spec.scaleTargetRef.kind}/${hpa.spec.scaleTargetRef.name}`);
  t.field('Metrics', '( current / target )');
  const lines = metricLines(hpa);
  if (lines.length) t.block(renderTable(['', ''], lines).split('\n').slice(1).join('\n'), 2);
  t.field('Min replicas', hpa.spec.minReplicas ?? 1).field('Max replicas', hpa.spec.maxReplicas);
  if (hpa.spec.behavior) {
    t.line('Behavior:');
    rules(t, 'Scale Up', hpa.spec.behavior.scaleUp);
    rules(t, 'Scale Down', hpa.spec.behavior.scaleDown);
  }
  t.field(`${hpa.spec.scaleTargetRef.kind} pods`, `${hpa.status?.currentReplicas ?? 0} current / ${hpa.status?.desiredReplicas ?? 0} desired`);
  const conds = hpa.status?.conditions ?? [];
  if (conds.length) {
    t.line('Conditions:');
    t.block(renderTable(['Type', 'Status', 'Reason', 'Message'], [['----', '------', '------', '-------'], ...conds.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? ''])]), 2);
  }
  eventsSection(t, events, now);
  return t.toString();
}

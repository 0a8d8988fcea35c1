/**
 * `drover describe deployment|daemonset|statefulset`, laid out as kubectl does: replicas line, strategy, pod
 * template, conditions, OldReplicaSets/NewReplicaSet (Deployments), Volume Claims (StatefulSets), events.
 */
import type { Condition } from '../../protocol/objects/meta.js';
import type { PodTemplateSpec } from '../../protocol/objects/pod.js';
import type { DaemonSet, Deployment, ReplicaSet } from '../../protocol/objects/workloads.js';
import type { StatefulSet } from '../../protocol/objects/stateful-set.js';
import type { Pod } from '../../protocol/objects/pod.js';
import type { ApiClient } from './client.js';
import { eventsSection, shownAnnotations, Text, type EventObject } from './describe-text.js';
import { renderTable } from './printers.js';
import { selectorText } from '../../protocol/table-columns.js';
import { newReplicaSet, oldReplicaSets, replicaSetsOf } from './workloads.js';

function podTemplate(t: Text, template: PodTemplateSpec): void {
  t.line('Pod Template:');
  t.map('Labels', template.metadata?.labels, 2);
  const annotations = template.metadata?.annotations;
  if (annotations && Object.keys(annotations).length) t.map('Annotations', annotations, 2);
  t.line('  Containers:');
  for (const c of template.spec.containers) {
    t.line(`   ${c.name}:`);
    t.field('Image', c.image, 4);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`);
    const hostPorts = (c.ports ?? []).map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`);
    t.field('Port', ports.join(', ') || '<none>', 4).field('Host Port', hostPorts.join(', ') || '<none>', 4);
    if (c.command) t.field('Command', c.command.join(' '), 4);
    if (c.args) t.field('Args', c.args.join(' '), 4);
    const lim = c.resources?.limits;
    const req = c.resources?.requests;
    if (lim) t.line('    Limits:').block(Object.entries(lim).map(([k, v]) => `${k}: ${v}`).join('\n'), 6);
    if (req) t.line('    Requests:').block(Object.entries(req).map(([k, v]) => `${k}: ${v}`).join('\n'), 6);
    if (c.env?.length) t.line('    Environment:').block(c.env.map((e) => `${e.name}: ${e.value ?? '<set from a reference>'}`).join('\n'), 6);
    else t.field('Environment', '<none>', 4);
    const mounts = (c.volumeMounts ?? []).map((m) => `${m.mountPath} from ${m.name} (${m.readOnly ? 'ro' : 'rw'})`);
    t.field('Mounts', mounts.join(', ') || '<none>', 4);
  }
  t.field('Volumes', (template.spec.volumes ?? []).map((v) => v.name).join(', ') || '<none>', 2);
  if (template.spec.nodeSelector) t.map('Node-Selectors', template.spec.nodeSelector, 2);
}

function conditions(t: Text, conds: Condition[] | undefined): void {
  if (!conds?.length) return;
  t.line('Conditions:');
  t.block(renderTable(['Type', 'Status', 'Reason'], [['----', '------', '------'], ...conds.map((c) => [c.type, c.status, c.reason ?? ''])]), 2);
}

function rsSummary(rs: ReplicaSet): string {
  return `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec.replicas ?? 1} replicas created)`;
}

function header(t: Text, obj: Deployment | DaemonSet | StatefulSet): void {
  t.field('Name', obj.metadata.name)
    .field('Namespace', obj.metadata.namespace)
    .field('CreationTimestamp', obj.metadata.creationTimestamp ?? undefined)
    .map('Labels', obj.metadata.labels)
    .map('Annotations', shownAnnotations(obj))
    .field('Selector', selectorText(obj));
}

export async function describeDeployment(client: ApiClient, d: Deployment, events: EventObject[], now: number): Promise<string> {
  const t = new Text();
  const st = d.status ?? {};
  header(t, d);
  t.field(
    'Replicas',
    `${d.spec.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`,
  );
  const strategy = d.spec.strategy?.type ?? 'RollingUpdate';
  t.field('StrategyType', strategy).field('MinReadySeconds', d.spec.minReadySeconds ?? 0);
  if (strategy === 'RollingUpdate') {
    const ru = d.spec.strategy?.rollingUpdate;
    t.field('RollingUpdateStrategy', `${ru?.maxUnavailable ?? '25%'} max unavailable, ${ru?.maxSurge ?? '25%'} max surge`);
  }
  if (d.spec.paused) t.field('Paused', 'true');
  podTemplate(t, d.spec.template);
  conditions(t, st.conditions);
  const rss = await replicaSetsOf(client, d);
  const old = oldReplicaSets(d, rss);
  const current = newReplicaSet(d, rss);
  t.field('OldReplicaSets', old.map(rsSummary).join(', ') || '<none>');
  t.field('NewReplicaSet', current ? rsSummary(current) : '<none>');
  eventsSection(t, events, now);
  return t.toString();
}

export function describeDaemonSet(ds: DaemonSet, events: EventObject[], now: number): string {
  const t = new Text();
  const st = ds.status ?? {};
  header(t, ds);
  const nodeSelector = Object.entries(ds.spec.template.spec.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`);
  t.field('Node-Selector', nodeSelector.join(',') || '<none>');
  t.field('Desired Number of Nodes Scheduled', st.desiredNumberScheduled ?? 0)
    .field('Current Number of Nodes Scheduled', st.currentNumberScheduled ?? 0)
    .field('Number of Nodes Scheduled with Up-to-date Pods', st.updatedNumberScheduled ?? 0)
    .field('Number of Nodes Scheduled with Available Pods', st.numberAvailable ?? 0)
    .field('Number of Nodes Misscheduled', st.numberMisscheduled ?? 0)
    .field('Pods Status', `${st.numberReady ?? 0} Ready / ${(st.currentNumberScheduled ?? 0) - (st.numberReady ?? 0)} Not Ready`);
  t.field('UpdateStrategy', ds.spec.updateStrategy?.type ?? 'RollingUpdate');
  podTemplate(t, ds.spec.template);
  conditions(t, st.conditions);
  eventsSection(t, events, now);
  return t.toString();
}

/** kubectl's StatefulSet description; `pods` are the set's pods (for the Pods Status line). */
export function describeStatefulSet(set: StatefulSet, pods: Pod[], events: EventObject[], now: number): string {
  const t = new Text();
  const st = set.status ?? {};
  header(t, set);
  t.field('Replicas', `${set.spec.replicas ?? 1} desired | ${st.replicas ?? 0} total`);
  const strategy = set.spec.updateStrategy?.type ?? 'RollingUpdate';
  t.field('Update Strategy', strategy);
  if (strategy === 'RollingUpdate') {
    t.field('Partition', set.spec.updateStrategy?.rollingUpdate?.partition ?? 0, 2);
    const maxUnavailable = set.spec.updateStrategy?.rollingUpdate?.maxUnavailable;
    if (maxUnavailable !== undefined) t.field('MaxUnavailable', maxUnavailable, 2);
  }
  t.field('Pod Management Policy', set.spec.podManagementPolicy ?? 'OrderedReady');
  t.field('Service Name', set.spec.serviceName ?? '<none>');
  const phase = (p: string) => pods.filter((pod) => pod.status?.phase === p).length;
  t.field('Pods Status', `${phase('Running')} Running / ${phase('Pending')} Waiting / ${phase('Succeeded')} Succeeded / ${phase('Failed')} Failed`);
  t.field('Current Revision', st.currentRevision ?? '<none>').field('Update Revision', st.updateRevision ?? '<none>');
  podTemplate(t, set.spec.template);
  const claims = set.spec.volumeClaimTemplates ?? [];
  if (claims.length === 0) t.field('Volume Claims', '<none>');
  else {
    t.line('Volume Claims:');
    for (const c of claims) {
      t.field('Name', c.metadata.name, 2)
        .field('StorageClass', c.spec.storageClassName ?? '', 2)
        .map('Labels', c.metadata.labels, 2)
        .map('Annotations', c.metadata.annotations, 2)
        .field('Capacity', c.spec.resources.requests.storage, 2)
        .field('Access Modes', `[${c.spec.accessModes.join(' ')}]`, 2);
    }
  }
  const policy = set.spec.persistentVolumeClaimRetentionPolicy;
  t.field('PVC Retention Policy', `WhenDeleted: ${policy?.whenDeleted ?? 'Retain'}, WhenScaled: ${policy?.whenScaled ?? 'Retain'}`);
  conditions(t, st.conditions);
  eventsSection(t, events, now);
  return t.toString();
}

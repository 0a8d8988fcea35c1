/**
 * `drover describe KIND NAME [-n NS]`: kubectl-like human text. Pods: node, status, IP, containers,
 * conditions, events. Nodes: labels, taints, unschedulable, conditions, addresses, capacity,
 * allocatable, system info, non-terminated pods, events. Deployments and DaemonSets: see
 * describe-workloads.ts. Claims, volumes and storage classes: describe-storage.ts. Other kinds: their fields as YAML, plus events.
 */
import { describeHorizontalPodAutoscaler } from '../describe-hpa.js';
import type { HorizontalPodAutoscaler } from '../../../protocol/objects/horizontal-pod-autoscaler.js';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { KubeObject } from '../../../protocol/objects/meta.js';
import type { Node } from '../../../protocol/objects/node.js';
import type { ContainerState, Pod } from '../../../protocol/objects/pod.js';
import type { DaemonSet, Deployment } from '../../../protocol/objects/workloads.js';
import { resolveResource } from '../../../protocol/kinds.js';
import { podDisplayStatus, podReady, podRestarts, shortAge } from '../../../protocol/pod-display.js';
import { resourcePath, type ApiClient, type ObjectList } from '../client.js';
import { eventsFor, eventsSection, shownAnnotations, Text, type EventObject } from '../describe-text.js';
import { describeDaemonSet, describeDeployment, describeStatefulSet } from '../describe-workloads.js';
import type { StatefulSet } from '../../../protocol/objects/stateful-set.js';
import { selectorToString } from '../../../protocol/labels.js';
import { describeClaim, describeStorageClass, describeVolume } from '../describe-storage.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../../protocol/objects/storage.js';
import { LABEL_SERVICE_NAME, LAST_APPLIED_ANNOTATION } from '../../../protocol/well-known.js';
import type { EndpointSlice } from '../../../protocol/objects/endpoint-slice.js';
import type { Service } from '../../../protocol/objects/service.js';
import { describeService } from '../network-printers.js';
import { describeConfigObject, isConfigKind } from '../config-printers.js';
import type { CliIO } from '../io.js';
import { renderTable } from '../printers.js';
import { clientFor, withConnectionOptions, namespaceFor, resolveKinds, splitKindName } from '../shared.js';

function stateText(state: ContainerState | undefined, text: Text, label: string): void {
  if (state?.running) {
    text.field(label, 'Running', 4).field('Started', state.running.startedAt, 6);
  } else if (state?.waiting) {
    text.field(label, 'Waiting', 4).field('Reason', state.waiting.reason, 6);
    if (state.waiting.message) text.field('Message', state.waiting.message, 6);
  } else if (state?.terminated) {
    const t = state.terminated;
    text.field(label, 'Terminated', 4).field('Reason', t.reason, 6).field('Exit Code', t.exitCode, 6);
    if (t.startedAt) text.field('Started', t.startedAt, 6);
    if (t.finishedAt) text.field('Finished', t.finishedAt, 6);
  } else {
    text.field(label, label === 'State' ? 'Waiting' : '<none>', 4);
  }
}

function describePod(pod: Pod, events: EventObject[], now: number): string {
  const t = new Text();
  const st = pod.status ?? {};
  t.field('Name', pod.metadata.name)
    .field('Namespace', pod.metadata.namespace)
    .field('Node', pod.spec.nodeName ? `${pod.spec.nodeName}${st.hostIP ? `/${st.hostIP}` : ''}` : '<none>')
    .field('Start Time', st.startTime)
    .map('Labels', pod.metadata.labels)
    .map('Annotations', shownAnnotations(pod));
  if (pod.metadata.deletionTimestamp) {
    t.field('Status', `Terminating (lasts ${shortAge(pod.metadata.creationTimestamp, now)})`);
    t.field('Termination Grace Period', `${pod.metadata.deletionGracePeriodSeconds ?? 30}s`);
  } else {
    t.field('Status', st.phase ?? 'Pending');
  }
  if (st.reason) t.field('Reason', st.reason);
  if (st.message) t.field('Message', st.message);
  t.field('IP', st.podIP ?? '').field('Ready', podReady(pod)).field('Restarts', podRestarts(pod));
  t.line('Containers:');
  for (const c of pod.spec.containers) {
    const cs = st.containerStatuses?.find((s) => s.name === c.name);
    t.line(`  ${c.name}:`);
    if (cs?.containerID) t.field('Container ID', cs.containerID, 4);
    t.field('Image', c.image, 4);
    if (cs?.imageID) t.field('Image ID', cs.imageID, 4);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`);
    const hostPorts = (c.ports ?? []).map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`);
    t.field('Port', ports.join(', ') || '<none>', 4).field('Host Port', hostPorts.join(', ') || '<none>', 4);
    if (c.command) t.field('Command', c.command.join(' '), 4);
    if (c.args) t.field('Args', c.args.join(' '), 4);
    stateText(cs?.state, t, 'State');
    if (cs?.lastState && Object.keys(cs.lastState).length > 0) stateText(cs.lastState, t, 'Last State');
    t.field('Ready', cs?.ready ? 'True' : 'False', 4).field('Restart Count', cs?.restartCount ?? 0, 4);
    const req = c.resources?.requests;
    const lim = c.resources?.limits;
    if (lim) t.line('    Limits:').block(Object.entries(lim).map(([k, v]) => `${k}: ${v}`).join('\n'), 6);
    if (req) t.line('    Requests:').block(Object.entries(req).map(([k, v]) => `${k}: ${v}`).join('\n'), 6);
    if (c.env?.length) t.line('    Environment:').block(c.env.map((e) => `${e.name}: ${e.value ?? '<set from a reference>'}`).join('\n'), 6);
  }
  t.line('Conditions:');
  const conds = st.conditions ?? [];
  if (conds.length === 0) t.line('  <none>');
  else t.block(renderTable(['Type', 'Status'], conds.map((c) => [c.type, c.status])), 2);
  t.map('Node-Selectors', pod.spec.nodeSelector);
  t.field('Tolerations', (pod.spec.tolerations ?? []).map((x) => `${x.key ?? ''}${x.operator === 'Exists' ? '' : `=${x.value ?? ''}`}:${x.effect ?? ''}`).join(', ') || '<none>');
  eventsSection(t, events, now);
  return t.toString();
}

function describeNode(node: Node, pods: Pod[], events: EventObject[], now: number): string {
  const t = new Text();
  const st = node.status ?? {};
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.split('/')[1]);
  t.field('Name', node.metadata.name)
    .field('Roles', roles.join(',') || '<none>')
    .map('Labels', node.metadata.labels)
    .map('Annotations', shownAnnotations(node))
    .field('CreationTimestamp', node.metadata.creationTimestamp ?? undefined)
    .field('Taints', (node.spec?.taints ?? []).map((x) => `${x.key}${x.value ? `=${x.value}` : ''}:${x.effect}`).join(', ') || '<none>')
    .field('Unschedulable', String(node.spec?.unschedulable ?? false));
  t.line('Conditions:');
  const conds = st.conditions ?? [];
  if (conds.length === 0) t.line('  <none>');
  else {
    t.block(
      renderTable(
        ['Type', 'Status', 'LastHeartbeatTime', 'LastTransitionTime', 'Reason', 'Message'],
        conds.map((c) => [c.type, c.status, c.lastHeartbeatTime ?? '', c.lastTransitionTime ?? '', c.reason ?? '', c.message ?? '']),
      ),
      2,
    );
  }
  t.line('Addresses:');
  for (const a of st.addresses ?? []) t.line(`  ${a.type}:  ${a.address}`);
  if (!st.addresses?.length) t.line('  <none>');
  for (const [label, list] of [['Capacity', st.capacity], ['Allocatable', st.allocatable]] as const) {
    t.line(`${label}:`);
    const entries = Object.entries(list ?? {});
    if (entries.length === 0) t.line('  <none>');
    for (const [k, v] of entries) t.line(`  ${`${k}:`.padEnd(20)}${v}`);
  }
  if (st.usage) {
    t.line('Usage:');
    t.line(`  ${'cpu:'.padEnd(20)}${st.usage.cpuPercent.toFixed(1)}%`);
    t.line(`  ${'memory:'.padEnd(20)}${st.usage.memoryUsedBytes}`);
    if (st.usage.diskUsedBytes !== undefined) t.line(`  ${'disk:'.padEnd(20)}${st.usage.diskUsedBytes}`);
  }
  t.line('System Info:');
  const info = st.nodeInfo ?? {};
  const sys: [string, string | undefined][] = [
    ['Machine ID', info.machineID],
    ['Kernel Version', info.kernelVersion],
    ['OS Image', info.osImage],
    ['Operating System', info.operatingSystem],
    ['Architecture', info.architecture],
    ['CPU Model', info.cpuModel],
    ['Container Runtime Version', info.containerRuntimeVersion],
    ['Kubelet Version', info.kubeletVersion],
  ];
  for (const [k, v] of sys) t.line(`  ${`${k}:`.padEnd(28)}${v ?? ''}`);
  const running = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  t.line(`Non-terminated Pods:  (${running.length} in total)`);
  if (running.length > 0) {
    t.block(
      renderTable(
        ['Namespace', 'Name', 'Status', 'CPU Requests', 'Memory Requests', 'Age'],
        running.map((p) => [
          p.metadata.namespace ?? '',
          p.metadata.name,
          podDisplayStatus(p),
          p.spec.containers.map((c) => c.resources?.requests?.cpu).filter(Boolean).join('+') || '0',
          p.spec.containers.map((c) => c.resources?.requests?.memory).filter(Boolean).join('+') || '0',
          shortAge(p.metadata.creationTimestamp, now),
        ]),
      ),
      2,
    );
  }
  eventsSection(t, events, now);
  return t.toString();
}

function describeGeneric(obj: KubeObject, events: EventObject[], now: number): string {
  const t = new Text();
  t.field('Name', obj.metadata.name);
  if (obj.metadata.namespace) t.field('Namespace', obj.metadata.namespace);
  t.map('Labels', obj.metadata.labels).map('Annotations', shownAnnotations(obj)).field('API Version', obj.apiVersion).field('Kind', obj.kind);
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = obj;
  for (const [key, value] of Object.entries(rest)) {
    t.line(`${key[0]!.toUpperCase()}${key.slice(1)}:`);
    t.block(stringify(value, { lineWidth: 0 }), 2);
  }
  eventsSection(t, events, now);
  return t.toString();
}

export async function describeObject(client: ApiClient, obj: KubeObject, now = Date.now()): Promise<string> {
  const events = await eventsFor(client, obj);
  if (obj.kind === 'Pod') return describePod(obj as Pod, events, now);
  if (isConfigKind(obj)) {
    // a Secret's values are never shown: sizes only
    const t = new Text();
    eventsSection(t, events, now);
    return `${describeConfigObject(obj, [LAST_APPLIED_ANNOTATION])}\n${t.toString()}`;
  }
  if (obj.kind === 'Deployment') return describeDeployment(client, obj as Deployment, events, now);
  if (obj.kind === 'DaemonSet') return describeDaemonSet(obj as DaemonSet, events, now);
  if (obj.kind === 'HorizontalPodAutoscaler') return describeHorizontalPodAutoscaler(obj as HorizontalPodAutoscaler, events, now);
  if (obj.kind === 'StatefulSet') {
    const set = obj as StatefulSet;
    const pods = await client.request<ObjectList<Pod>>('GET', resourcePath(resolveResource('pods')!, set.metadata.namespace ?? 'default'), { query: { labelSelector: selectorToString(set.spec.selector) } });
    return describeStatefulSet(set, pods.items.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === set.metadata.uid)), events, now);
  }
  if (obj.kind === 'Service') {
    const slices = await client.request<ObjectList<EndpointSlice>>('GET', resourcePath(resolveResource('endpointslices')!, obj.metadata.namespace ?? 'default'), {
      query: { labelSelector: `${LABEL_SERVICE_NAME}=${obj.metadata.name}` },
    });
    return describeService(obj as Service, slices.items, events, now);
  }
  if (obj.kind === 'Node') {
    const podInfo = resolveResource('pods')!;
    const pods = await client.request<ObjectList<Pod>>('GET', resourcePath(podInfo, undefined), { query: { fieldSelector: `spec.nodeName=${obj.metadata.name}` } });
    return describeNode(obj as Node, pods.items, events, now);
  }
  if (obj.kind === 'PersistentVolumeClaim') {
    const pods = await client.request<ObjectList<Pod>>('GET', resourcePath(resolveResource('pods')!, obj.metadata.namespace ?? 'default'));
    return describeClaim(obj as PersistentVolumeClaim, pods.items, events, now);
  }
  if (obj.kind === 'PersistentVolume') return describeVolume(obj as PersistentVolume, events, now);
  if (obj.kind === 'StorageClass') return describeStorageClass(obj as StorageClass, events, now);
  return describeGeneric(obj, events, now);
}

export function registerDescribeCommand(program: Command, io: CliIO): void {
  withConnectionOptions(program.command('describe'))
    .description('show an object in detail, with its events')
    .argument('<kind>', 'kind (pod, node, ...) or KIND/NAME')
    .argument('[names...]', 'object names')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .action(async (kindArg: string, names: string[], flags: { namespace?: string }, cmd: Command) => {
      const client = clientFor(cmd, io);
      const slashed = splitKindName(kindArg);
      const targets = slashed ? [slashed] : names.map((n) => [resolveKinds(kindArg)[0]!, n] as const);
      if (targets.length === 0) {
        // kubectl describes every object of the kind
        const [info] = resolveKinds(kindArg);
        const list = await client.request<ObjectList>('GET', resourcePath(info!, namespaceFor(info!, flags.namespace)));
        for (const [i, obj] of list.items.entries()) io.out(`${i ? '\n\n' : ''}${await describeObject(client, obj)}`);
        return;
      }
      for (const [i, [info, name]] of targets.entries()) {
        const obj = await client.request<KubeObject>('GET', resourcePath(info, namespaceFor(info, flags.namespace), name));
        io.out(`${i ? '\n\n' : ''}${await describeObject(client, obj)}`);
      }
    });
}

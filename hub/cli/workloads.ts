/**
 * What the workload commands (get/describe/rollout/set/scale) need to know about Deployments,
 * ReplicaSets and DaemonSets, read the way kubectl reads them: a Deployment's ReplicaSets are those it
 * controls; the new one runs the Deployment's template (its pod-template-hash label aside); revisions
 * come from the deployment.kubernetes.io/revision annotation.
 */
import { selectorToString } from '../../protocol/labels.js';
import { kindByName } from '../../protocol/kinds.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import type { PodTemplateSpec } from '../../protocol/objects/pod.js';
import type { DaemonSet, Deployment, ReplicaSet } from '../../protocol/objects/workloads.js';
import { jsonEqual } from '../store/deep-equal.js';
import { resourcePath, type ApiClient, type ObjectList } from './client.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Objects with a pod template (Deployment, ReplicaSet, DaemonSet). */
export type Workload = Deployment | ReplicaSet | DaemonSet;

export function revisionOf(obj: KubeObject): number {
  const n = Number.parseInt(obj.metadata.annotations?.[REVISION_ANNOTATION] ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
}

/** The template without the pod-template-hash label the Deployment controller adds to its ReplicaSets. */
export function templateWithoutHash(template: PodTemplateSpec): PodTemplateSpec {
  const copy = structuredClone(template);
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  return copy;
}

export function runsTemplateOf(rs: ReplicaSet, d: Deployment): boolean {
  return jsonEqual(templateWithoutHash(rs.spec.template), templateWithoutHash(d.spec.template));
}

function controlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const refs = obj.metadata.ownerReferences ?? [];
  return refs.some((r) => r.kind === owner.kind && r.name === owner.metadata.name && (!owner.metadata.uid || r.uid === owner.metadata.uid));
}

/** The Deployment's ReplicaSets, oldest revision first. */
export async function replicaSetsOf(client: ApiClient, d: Deployment): Promise<ReplicaSet[]> {
  const info = kindByName('ReplicaSet')!;
  const list = await client.request<ObjectList<ReplicaSet>>('GET', resourcePath(info, d.metadata.namespace ?? 'default'));
  return list.items.filter((rs) => controlledBy(rs, d)).sort((a, b) => revisionOf(a) - revisionOf(b) || a.metadata.name.localeCompare(b.metadata.name));
}

export function newReplicaSet(d: Deployment, rss: ReplicaSet[]): ReplicaSet | undefined {
  return rss.find((rs) => runsTemplateOf(rs, d));
}

/** Old ReplicaSets that still have (or should have) pods, as kubectl describe lists them. */
export function oldReplicaSets(d: Deployment, rss: ReplicaSet[]): ReplicaSet[] {
  const current = newReplicaSet(d, rss);
  return rss.filter((rs) => rs !== current && ((rs.spec.replicas ?? 0) > 0 || (rs.status?.replicas ?? 0) > 0));
}

export function containerNames(obj: Workload): string {
  return obj.spec.template.spec.containers.map((c) => c.name).join(',');
}

export function containerImages(obj: Workload): string {
  return obj.spec.template.spec.containers.map((c) => c.image).join(',');
}

export function selectorText(obj: Workload): string {
  return selectorToString(obj.spec.selector) || '<none>';
}

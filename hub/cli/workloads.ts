/**
 * What the workload commands (get/describe/rollout/set/scale) need to know about Deployments,
 * ReplicaSets and DaemonSets, read the way kubectl reads them: a Deployment's ReplicaSets are those it
 * controls; the new one runs the Deployment's template (its pod-template-hash label aside); revisions
 * come from the deployment.kubernetes.io/revision annotation. A StatefulSet's (or DaemonSet's) revisions are
 * the ControllerRevisions it controls.
 */
import { kindByName } from '../../protocol/kinds.js';
import type { Deployment, ReplicaSet } from '../../protocol/objects/workloads.js';
import type { ControllerRevision } from '../../protocol/objects/stateful-set.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import { isControlledBy, revisionOf, runsTemplate } from '../../protocol/workload-helpers.js';
import { resourcePath, type ApiClient, type ObjectList } from './client.js';

/** The Deployment's ReplicaSets, oldest revision first. */
export async function replicaSetsOf(client: ApiClient, d: Deployment): Promise<ReplicaSet[]> {
  const info = kindByName('ReplicaSet')!;
  const list = await client.request<ObjectList<ReplicaSet>>('GET', resourcePath(info, d.metadata.namespace ?? 'default'));
  return list.items.filter((rs) => isControlledBy(rs, d)).sort((a, b) => revisionOf(a) - revisionOf(b) || a.metadata.name.localeCompare(b.metadata.name));
}

export function newReplicaSet(d: Deployment, rss: ReplicaSet[]): ReplicaSet | undefined {
  return rss.find((rs) => runsTemplate(rs, d));
}

/** Old ReplicaSets that still have (or should have) pods, as kubectl describe lists them. */
export function oldReplicaSets(d: Deployment, rss: ReplicaSet[]): ReplicaSet[] {
  const current = newReplicaSet(d, rss);
  return rss.filter((rs) => rs !== current && ((rs.spec.replicas ?? 0) > 0 || (rs.status?.replicas ?? 0) > 0));
}

/** The ControllerRevisions `owner` controls, oldest revision first. */
export async function controllerRevisionsOf(client: ApiClient, owner: KubeObject): Promise<ControllerRevision[]> {
  const info = kindByName('ControllerRevision')!;
  const list = await client.request<ObjectList<ControllerRevision>>('GET', resourcePath(info, owner.metadata.namespace ?? 'default'));
  return list.items.filter((r) => isControlledBy(r, owner)).sort((a, b) => a.revision - b.revision || a.metadata.name.localeCompare(b.metadata.name));
}

/**
 * Pure helpers on workload objects that the controllers and the CLI read the same way (kubectl
 * and the Deployment controller share them in Kubernetes too): who controls an object, a
 * ReplicaSet's revision, whether a ReplicaSet runs a Deployment's current template, and the
 * template a ControllerRevision holds (StatefulSets).
 */
import type { KubeObject, OwnerReference } from './objects/meta.js';
import type { PodTemplateSpec } from './objects/pod.js';
import type { Deployment, ReplicaSet } from './objects/workloads.js';
import type { ControllerRevision } from './objects/stateful-set.js';
import { semanticallyEqual } from './semantic-equal.js';
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from './well-known.js';

/** The owner reference marked controller: true, if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** Kubernetes' metav1.IsControlledBy: the object's controller reference points at `owner` (kind and uid). */
export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const ref = controllerOf(obj);
  return ref !== undefined && ref.uid === owner.metadata.uid && ref.kind === owner.kind;
}

/** The deployment.kubernetes.io/revision annotation as a number (0 when absent). */
export function revisionOf(obj: { metadata: { annotations?: Record<string, string> } }): number {
  const n = Number.parseInt(obj.metadata.annotations?.[REVISION_ANNOTATION] ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
}

/** A copy of the template without the label `key`. */
export function templateWithoutLabel(template: PodTemplateSpec, key: string): PodTemplateSpec {
  const copy = structuredClone(template);
  if (copy.metadata?.labels && key in copy.metadata.labels) {
    const { [key]: _removed, ...rest } = copy.metadata.labels;
    copy.metadata = { ...copy.metadata, labels: rest };
  }
  return copy;
}

/**
 * Does this ReplicaSet run the Deployment's current template (its own pod-template-hash label aside)?
 * Compared as Kubernetes does (semantic-equal.ts): `rollout undo` writes back a ReplicaSet's template
 * with `creationTimestamp: null` and `resources: {}`, and that ReplicaSet is the one that runs it.
 */
export function runsTemplate(rs: ReplicaSet, d: Deployment): boolean {
  return semanticallyEqual(templateWithoutLabel(rs.spec.template, POD_TEMPLATE_HASH_LABEL), templateWithoutLabel(d.spec.template, POD_TEMPLATE_HASH_LABEL));
}

/** What a StatefulSet's ControllerRevision stores, as Kubernetes does: its template as a replacing patch. */
export function revisionDataOf(template: PodTemplateSpec): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(template), $patch: 'replace' } } };
}

/** The template a ControllerRevision holds (its data without the patch directive). */
export function templateOfRevision(revision: ControllerRevision): PodTemplateSpec {
  const template = (revision.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined)?.spec?.template;
  if (!template) return { spec: { containers: [] } };
  const { $patch: _patch, ...rest } = structuredClone(template);
  return rest;
}

/** Does this ControllerRevision hold `template` (compared as Kubernetes compares templates)? */
export function revisionHolds(revision: ControllerRevision, template: PodTemplateSpec): boolean {
  return semanticallyEqual(templateOfRevision(revision), template);
}

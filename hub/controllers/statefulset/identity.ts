/**
 * A StatefulSet pod's identity, as Kubernetes gives it (pkg/controller/statefulset/stateful_set_utils.go):
 * the name `<set>-<ordinal>`, the labels statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index
 * and controller-revision-hash (the revision's name), hostname = the pod's name and subdomain = the
 * set's serviceName (so `<pod>.<service>.<ns>.svc.<domain>` resolves through a headless Service), and
 * one PersistentVolumeClaim per volumeClaimTemplate, `<template>-<set>-<ordinal>`, mounted as the
 * template's volume. Pure.
 */
import type { Pod, PodTemplateSpec, Volume } from '../../../protocol/index.js';
import type { PersistentVolumeClaimTemplate, StatefulSet } from '../../../protocol/objects/stateful-set.js';
import { CONTROLLER_REVISION_HASH_LABEL, POD_INDEX_LABEL, STATEFULSET_POD_NAME_LABEL } from '../../../protocol/well-known.js';
import { controllerRefTo } from '../pod-template.js';

export function startOrdinal(set: StatefulSet): number {
  return set.spec.ordinals?.start ?? 0;
}

export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

/** The ordinal of a pod named `<set>-<n>`, or undefined for a name of another shape. */
export function ordinalOf(set: StatefulSet, pod: Pod): number | undefined {
  const prefix = `${set.metadata.name}-`;
  const name = pod.metadata.name;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function claimName(template: PersistentVolumeClaimTemplate, set: StatefulSet, ordinal: number): string {
  return `${template.metadata.name ?? ''}-${set.metadata.name}-${ordinal}`;
}

/** The revision a pod was made from (its controller-revision-hash label). */
export function revisionOfPod(pod: Pod): string | undefined {
  return pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
}

/** The pod of `ordinal` from `template` (the revision's), owned by the set. */
export function statefulPod(set: StatefulSet, template: PodTemplateSpec, ordinal: number, revision: string): Pod {
  const name = podName(set, ordinal);
  const spec = structuredClone(template.spec);
  const claims = set.spec.volumeClaimTemplates ?? [];
  if (claims.length > 0) {
    // a claim's volume in place of any template volume of the same name
    const claimVolumes: Volume[] = claims.map((c) => ({ name: c.metadata.name ?? '', persistentVolumeClaim: { claimName: claimName(c, set, ordinal) } }));
    const names = new Set(claims.map((c) => c.metadata.name));
    spec.volumes = [...(spec.volumes ?? []).filter((v) => !names.has(v.name)), ...claimVolumes];
  }
  spec.hostname = name;
  if (set.spec.serviceName) spec.subdomain = set.spec.serviceName;
  else delete spec.subdomain;
  const labels = {
    ...(template.metadata?.labels ?? {}),
    [STATEFULSET_POD_NAME_LABEL]: name,
    [POD_INDEX_LABEL]: String(ordinal),
    [CONTROLLER_REVISION_HASH_LABEL]: revision,
  };
  const annotations = template.metadata?.annotations;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata.namespace ?? 'default',
      labels,
      ...(annotations && Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
      ownerReferences: [controllerRefTo(set)],
    },
    spec,
    status: { phase: 'Pending' },
  };
}

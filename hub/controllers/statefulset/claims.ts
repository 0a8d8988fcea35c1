/**
 * A StatefulSet's PersistentVolumeClaims, as Kubernetes' StatefulSet controller keeps them
 * (stateful_pod_control.go createPersistentVolumeClaims, and the persistentVolumeClaimRetentionPolicy):
 * one claim `<template>-<set>-<ordinal>` per volumeClaimTemplate, made before the pod, never replaced
 * (a deleted pod comes back to the same claims, so to the same data and node). whenDeleted=Delete puts
 * an ownerReference to the set on each claim (the garbage collector takes them with the set);
 * whenScaled=Delete deletes the claims of an ordinal scaled away once its pod is gone. Retain (the
 * default for both) leaves them.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, OwnerReference, PersistentVolumeClaim, StorageClass } from '../../../protocol/index.js';
import { defaultStorageClass } from '../../placement/volumes.js';
import type { PersistentVolumeClaimTemplate, StatefulSet } from '../../../protocol/objects/stateful-set.js';
import { AlreadyExistsError } from '../../store/errors.js';
import { deleteObjectRespectingFinalizers } from '../../registry/object-deletion.js';
import type { Store } from '../../store/store.js';
import type { ObjectCache } from '../../cache/object-cache.js';
import { updateWithRetry } from '../../store/update-with-retry.js';
import { claimName } from './identity.js';

export const CLAIM_KIND = 'PersistentVolumeClaim';

type Claim = PersistentVolumeClaim;

/** The set's reference on a claim it should take with it (whenDeleted: Delete); not its controller. */
function setRef(set: StatefulSet): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name, uid: set.metadata.uid ?? '', blockOwnerDeletion: true };
}

function wantsSetRef(set: StatefulSet): boolean {
  return set.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
}

/** The claim of `template` for `ordinal`, as the set would create it. */
export function claimFor(set: StatefulSet, template: PersistentVolumeClaimTemplate, ordinal: number): Claim {
  const labels = { ...(template.metadata.labels ?? {}), ...(set.spec.selector.matchLabels ?? {}) };
  return {
    apiVersion: 'v1',
    kind: CLAIM_KIND,
    metadata: {
      name: claimName(template, set, ordinal),
      namespace: set.metadata.namespace ?? 'default',
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(template.metadata.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ...(wantsSetRef(set) ? { ownerReferences: [setRef(set)] } : {}),
    },
    spec: structuredClone(template.spec),
  };
}

/**
 * The claim as the API would store it (kube-apiserver's defaults, hub/api/storage-defaults.ts: the set's
 * claims are written straight to the store): volumeMode Filesystem, the default StorageClass when none.
 */
function withStorageDefaults(cache: ObjectCache, claim: Claim): Claim {
  const spec = { ...claim.spec, volumeMode: claim.spec.volumeMode ?? 'Filesystem' };
  if (spec.storageClassName === undefined) {
    const sc = defaultStorageClass(cache.holds('StorageClass') ? cache.kind<StorageClass>('StorageClass').list() : []);
    if (sc) spec.storageClassName = sc.metadata.name;
  }
  return { ...claim, spec };
}

/** The ownerReferences a claim should have under the set's policy now (others' references kept). */
function refsUnderPolicy(set: StatefulSet, claim: KubeObject): OwnerReference[] | undefined {
  const others = (claim.metadata.ownerReferences ?? []).filter((r) => r.uid !== set.metadata.uid);
  const refs = wantsSetRef(set) ? [...others, setRef(set)] : others;
  return refs.length > 0 ? refs : undefined;
}

const sameRefs = (a: OwnerReference[] | undefined, b: OwnerReference[] | undefined): boolean => isDeepStrictEqual(a ?? [], b ?? []);

export interface ClaimResult {
  /** Claim names created now. */
  created: string[];
}

/**
 * Make sure every claim of `ordinal` exists (created when missing) and carries the owner references the
 * retention policy asks for.
 */
export async function ensureClaims(store: Store, cache: ObjectCache, set: StatefulSet, ordinal: number): Promise<ClaimResult> {
  const created: string[] = [];
  const namespace = set.metadata.namespace ?? 'default';
  for (const template of set.spec.volumeClaimTemplates ?? []) {
    const want = claimFor(set, template, ordinal);
    const cached = cache.kind<Claim>(CLAIM_KIND).get(namespace, want.metadata.name);
    if (cached && (cached.metadata.deletionTimestamp || sameRefs(refsUnderPolicy(set, cached), cached.metadata.ownerReferences))) continue;
    const key = { kind: CLAIM_KIND, namespace, name: want.metadata.name };
    const have = await store.get<Claim>(key);
    if (!have) {
      try {
        await store.create<Claim>(withStorageDefaults(cache, want));
        created.push(want.metadata.name);
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
      }
      continue;
    }
    if (have.metadata.deletionTimestamp) continue;
    await updateWithRetry<Claim>(store, key, (cur) => {
      const refs = refsUnderPolicy(set, cur);
      if (sameRefs(refs, cur.metadata.ownerReferences)) return undefined;
      const { ownerReferences: _old, ...meta } = cur.metadata;
      return { ...cur, metadata: { ...meta, ...(refs ? { ownerReferences: refs } : {}) } };
    });
  }
  return { created };
}

/**
 * whenScaled=Delete: delete the claims of ordinals outside [start, end) whose pod is gone. Returns the
 * names deleted.
 */
export async function deleteScaledClaims(store: Store, cache: ObjectCache, clock: () => number, set: StatefulSet, start: number, end: number, podOrdinals: ReadonlySet<number>): Promise<string[]> {
  if (set.spec.persistentVolumeClaimRetentionPolicy?.whenScaled !== 'Delete') return [];
  const templates = set.spec.volumeClaimTemplates ?? [];
  if (templates.length === 0) return [];
  const namespace = set.metadata.namespace ?? 'default';
  const claims = cache.kind<Claim>(CLAIM_KIND).list({ namespace });
  const deleted: string[] = [];
  for (const claim of claims) {
    const ordinal = ordinalOfClaim(set, templates, claim.metadata.name);
    if (ordinal === undefined || (ordinal >= start && ordinal < end) || podOrdinals.has(ordinal) || claim.metadata.deletionTimestamp) continue;
    // pvc-protection: the volume controller removes the claim once no pod uses it
    if (await deleteObjectRespectingFinalizers(store, { kind: CLAIM_KIND, namespace, name: claim.metadata.name }, claim, clock)) deleted.push(claim.metadata.name);
  }
  return deleted;
}

function ordinalOfClaim(set: StatefulSet, templates: readonly PersistentVolumeClaimTemplate[], name: string): number | undefined {
  for (const t of templates) {
    const prefix = `${t.metadata.name ?? ''}-${set.metadata.name}-`;
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    if (/^(0|[1-9]\d*)$/.test(rest)) return Number(rest);
  }
  return undefined;
}

/**
 * A StatefulSet's or DaemonSet's revision history as ControllerRevisions (the data: protocol/workload-helpers.ts revisionDataOf), as Kubernetes keeps it
 * (pkg/controller/history and statefulset's getStatefulSetRevisions / truncateHistory, the DaemonSet's
 * constructHistory): each revision's data is the template as a patch, `{spec: {template: {..., $patch: replace}}}`;
 * its name `<owner>-<hash>` (a StatefulSet's hash is of the data, mixed with status.collisionCount; a
 * DaemonSet's the pod-template hash its pods carry as controller-revision-hash), its number one above the
 * highest; a template that comes back (rollout undo) takes the next number on its old revision rather
 * than a new one. The update revision is the set's template now; the current revision is
 * status.currentRevision (the update revision when there is none). History beyond
 * revisionHistoryLimit (10) goes, oldest first, keeping the current and update revisions and any
 * revision a live pod still runs.
 */
import type { KubeObject, PodTemplateSpec } from '../../protocol/index.js';
import type { ControllerRevision } from '../../protocol/objects/stateful-set.js';
import { isControlledBy, revisionDataOf, revisionHolds } from '../../protocol/workload-helpers.js';
import type { ObjectCache } from '../cache/object-cache.js';
import { AlreadyExistsError, NotFoundError } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { updateWithRetry } from '../store/update-with-retry.js';
import { HashCollisionError } from './errors.js';
import { LAST_APPLIED_ANNOTATION } from '../../protocol/well-known.js';
import { controllerRefTo, objectHash } from './pod-template.js';

/** What keeps a revision history: a StatefulSet or a DaemonSet. */
export interface RevisionOwner extends KubeObject {
  spec: { template: PodTemplateSpec; revisionHistoryLimit?: number };
  status?: { collisionCount?: number; currentRevision?: string; [field: string]: unknown };
}

/** How an owner names its revisions: the hash part of `<owner>-<hash>`. Default: the data's hash with the collision count. */
export type RevisionHash = (data: Record<string, unknown>, collisionCount: number) => string;

/** ControllerRevision label holding the data's hash. */
export const CONTROLLER_REVISION_HASH_KEY = 'controller.kubernetes.io/hash';
const DEFAULT_HISTORY_LIMIT = 10;
const MAX_COLLISIONS = 5;

/** The revisions `owner` controls, oldest revision first. */
export function revisionsOf(cache: ObjectCache, owner: KubeObject): ControllerRevision[] {
  return cache
    .kind<ControllerRevision>('ControllerRevision')
    .ownedBy(owner.metadata.uid ?? '')
    .filter((r) => isControlledBy(r, owner))
    .sort((a, b) => a.revision - b.revision || a.metadata.name.localeCompare(b.metadata.name));
}

export interface SetRevisions {
  current: ControllerRevision;
  update: ControllerRevision;
  collisionCount: number;
  revisions: ControllerRevision[];
}

/** The set's annotations (kubernetes.io/change-cause among them), as Kubernetes copies them; not kubectl's last-applied copy. */
function annotationsOf(set: RevisionOwner): { annotations?: Record<string, string> } {
  const { [LAST_APPLIED_ANNOTATION]: _lastApplied, ...rest } = set.metadata.annotations ?? {};
  return Object.keys(rest).length > 0 ? { annotations: rest } : {};
}

function newRevision(set: RevisionOwner, data: Record<string, unknown>, revision: number, collisionCount: number, hashOf: RevisionHash): ControllerRevision {
  const hash = hashOf(data, collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${set.metadata.name}-${hash}`,
      namespace: set.metadata.namespace ?? 'default',
      labels: { ...(set.spec.template.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_KEY]: hash },
      ...annotationsOf(set),
      ownerReferences: [controllerRefTo(set)],
    },
    data,
    revision,
  };
}

/**
 * The set's current and update revisions, creating the update revision (or renumbering an equal old
 * one) in the store when the template changed.
 */
export async function syncRevisions(store: Store, cache: ObjectCache, set: RevisionOwner, hashOf: RevisionHash = objectHash): Promise<SetRevisions> {
  const revisions = revisionsOf(cache, set);
  const data = revisionDataOf(set.spec.template);
  const next = (revisions.at(-1)?.revision ?? 0) + 1;
  let collisionCount = set.status?.collisionCount ?? 0;
  const equal = revisions.filter((r) => revisionHolds(r, set.spec.template));
  let update: ControllerRevision;
  if (equal.length > 0 && equal.at(-1) === revisions.at(-1)) {
    update = equal.at(-1)!;
  } else if (equal.length > 0) {
    const old = equal.at(-1)!;
    const key = { kind: 'ControllerRevision', namespace: old.metadata.namespace ?? 'default', name: old.metadata.name };
    const renumbered = await updateWithRetry<ControllerRevision>(store, key, (cur) => (cur.revision === next ? undefined : { ...cur, revision: next }));
    update = renumbered.outcome === 'notFound' ? old : renumbered.object;
  } else {
    for (let attempt = 0; ; attempt++) {
      if (attempt > MAX_COLLISIONS) throw new HashCollisionError(`${set.metadata.namespace ?? 'default'}/${set.metadata.name}`, attempt, set.kind.toLowerCase());
      const fresh = newRevision(set, data, next, collisionCount, hashOf);
      try {
        update = await store.create<ControllerRevision>(fresh);
        break;
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
        const existing = await store.get<ControllerRevision>({ kind: 'ControllerRevision', namespace: fresh.metadata.namespace!, name: fresh.metadata.name });
        if (existing && isControlledBy(existing, set) && revisionHolds(existing, set.spec.template)) {
          update = existing;
          break;
        }
        collisionCount++;
      }
    }
  }
  const all = [...revisions.filter((r) => r.metadata.name !== update.metadata.name), update].sort((a, b) => a.revision - b.revision);
  const current = all.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { current, update, collisionCount, revisions: all };
}

/** Delete the oldest revisions beyond the limit that neither the set nor a live pod uses. */
export async function truncateHistory(store: Store, set: RevisionOwner, revs: SetRevisions, inUse: ReadonlySet<string>): Promise<void> {
  const limit = set.spec.revisionHistoryLimit ?? DEFAULT_HISTORY_LIMIT;
  const keep = new Set([revs.current.metadata.name, revs.update.metadata.name, ...inUse]);
  const history = revs.revisions.filter((r) => !keep.has(r.metadata.name));
  for (const r of history.slice(0, Math.max(0, history.length - limit))) {
    try {
      await store.delete({ kind: 'ControllerRevision', namespace: r.metadata.namespace ?? 'default', name: r.metadata.name }, { expectedResourceVersion: r.metadata.resourceVersion });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}

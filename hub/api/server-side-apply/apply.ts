/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`), as Kubernetes does it:
 *
 * - the applied configuration is merged into the live object (objects key by key, keyed lists by
 *   their merge key, sets of scalars as sets, every other list replaced);
 * - the fields the manager applied last time and leaves out now are removed, unless another manager
 *   owns them too;
 * - a field the apply would change that another manager owns is a conflict: 409 with Kubernetes'
 *   Status (`Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas`,
 *   one `FieldManagerConflict` cause per field), unless `force` (kubectl `--force-conflicts`), which
 *   takes the fields from their managers;
 * - the manager's Apply entry owns exactly the fields it applied;
 * - from client-side to server-side apply (Kubernetes' lastAppliedManager and lastAppliedUpdater): an
 *   apply by the manager `kubectl` on an object with kubectl's last-applied annotation may take, without
 *   `force`, the fields that annotation names (what `kubectl apply` set before), and keeps the
 *   annotation up to date so that a client-side `kubectl apply` afterwards still works.
 */
import { parse as parseYaml } from 'yaml';
import { LAST_APPLIED_ANNOTATION } from '../../../protocol/well-known.js';
import { applyStrategicMergePatch } from '../strategic-merge-patch.js';
import { ApiError, apiErrors } from '../status.js';
import { difference, emptySet, intersection, isEmpty, members, pathString, removeFields, setOfPaths, union, type FieldSet } from './fieldset.js';
import { ownedChanges, ownedFieldsOf, sameManager, withOwner, type Manager, type WriteIdentity } from './managed-fields.js';

export const APPLY_PATCH_TYPE = 'application/apply-patch+yaml';

type Obj = Record<string, unknown>;

/** The applied configuration of a body (YAML, JSON being YAML too): one object, else 400. */
export function parseApplyBody(text: string): Obj {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw apiErrors.badRequest(`the apply configuration is not valid YAML or JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw apiErrors.badRequest('the apply configuration must be one object (YAML or JSON)');
  return value as Obj;
}

/** Kubernetes' answer to bad patch options: 422 `PatchOptions.meta.k8s.io "" is invalid: FIELD: MESSAGE`. */
export function patchOptionsInvalid(field: string, reason: string, message: string): ApiError {
  return new ApiError('Invalid', `PatchOptions.meta.k8s.io "" is invalid: ${field}: ${message}`, { name: '', group: 'meta.k8s.io', kind: 'PatchOptions', causes: [{ reason, message, field }] });
}

/** The fieldManager of an apply: required, at most 128 characters (422 as Kubernetes otherwise). */
export function applyManager(params: URLSearchParams): string {
  const manager = params.get('fieldManager');
  if (!manager) throw patchOptionsInvalid('fieldManager', 'FieldValueRequired', 'Required value: is required for apply patch');
  if (manager.length > 128) throw patchOptionsInvalid('fieldManager', 'FieldValueTooLong', 'Too long: may not be more than 128 bytes');
  return manager;
}

/** `force` is for applies only (422 on another patch, as Kubernetes). */
export function checkPatchOptions(contentType: string, params: URLSearchParams): void {
  if (contentType !== APPLY_PATCH_TYPE && params.has('force')) throw patchOptionsInvalid('force', 'FieldValueForbidden', 'Forbidden: may not be specified for non-apply patch');
}

export interface Conflict {
  manager: Manager;
  path: string[];
}

/** How Kubernetes names a manager in a conflict: `"kubectl"`, `"kubectl" with subresource "scale" using apps/v1` for updates. */
function printManager(m: Manager): string {
  const name = `${JSON.stringify(m.manager)}${m.subresource ? ` with subresource ${JSON.stringify(m.subresource)}` : ''}`;
  return m.operation === 'Update' ? `${name} using ${m.apiVersion}` : name;
}

/** 409 Conflict with Kubernetes' message and one FieldManagerConflict cause per field. */
export function applyConflictError(conflicts: Conflict[]): ApiError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.manager)}: ${pathString(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(printManager(c.manager), [...(byManager.get(printManager(c.manager)) ?? []), pathString(c.path)]);
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!.map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError('Conflict', message, { causes });
}

export interface ApplyInput {
  /** The stored object; undefined when the apply creates it. */
  live: Obj | undefined;
  /** The applied configuration (its identity already checked against the URL). */
  applied: Obj;
  kind: string;
  managers: Manager[];
  who: WriteIdentity;
  force: boolean;
}

export interface ApplyResult {
  object: Obj;
  managers: Manager[];
}

/** The manager whose applies move an object from client-side to server-side apply, as in Kubernetes. */
const KUBECTL_MANAGER = 'kubectl';

function lastAppliedOf(live: Obj): Obj | undefined {
  const text = ((live.metadata as Obj | undefined)?.annotations as Record<string, unknown> | undefined)?.[LAST_APPLIED_ANNOTATION];
  if (typeof text !== 'string') return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;
  } catch {
    return undefined; // a mangled annotation allows nothing
  }
}

/** The applied configuration as kubectl's last-applied annotation holds it (without the annotation itself). */
function lastAppliedText(applied: Obj): string {
  const copy = structuredClone(applied);
  const metadata = (copy.metadata ?? {}) as Obj;
  const annotations = { ...((metadata.annotations as Record<string, unknown> | undefined) ?? {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  return JSON.stringify(copy);
}

/** `object` with kubectl's last-applied annotation set to the applied configuration. */
function withLastApplied(object: Obj, applied: Obj): Obj {
  const metadata = { ...((object.metadata as Obj | undefined) ?? {}) };
  metadata.annotations = { ...((metadata.annotations as Record<string, unknown> | undefined) ?? {}), [LAST_APPLIED_ANNOTATION]: lastAppliedText(applied) };
  return { ...object, metadata };
}

/** The object and its managers after the apply; throws the 409 on conflicts unless `force`. */
export function planApply(input: ApplyInput): ApplyResult {
  const { kind, who } = input;
  const live = input.live ?? {};
  const applied = ownedFieldsOf(input.applied, kind);
  const merged = applyStrategicMergePatch(live, input.applied, kind) as Obj;
  const previous = input.managers.find((m) => sameManager(m, who))?.fields ?? emptySet();
  const others = input.managers.filter((m) => !sameManager(m, who));
  const ownedByOthers = others.reduce((all, m) => union(all, m.fields), emptySet());
  const dropped = difference(difference(previous, applied), ownedByOthers);
  const lastApplied = who.manager === KUBECTL_MANAGER ? lastAppliedOf(live) : undefined;
  const pruned = removeFields(merged, dropped);
  const object = lastApplied ? withLastApplied(pruned, input.applied) : pruned;

  const changed = intersection(ownedChanges(live, object, kind), applied);
  const conflicts: Conflict[] = [];
  for (const m of others) for (const path of members(intersection(changed, m.fields))) conflicts.push({ manager: m, path });
  let force = input.force;
  if (conflicts.length > 0 && !force && lastApplied) {
    // Conflicts on fields kubectl's client-side apply set are allowed: the apply takes them.
    const allowed = ownedFieldsOf(lastApplied, kind);
    const refused = conflicts.filter((c) => isEmpty(intersection(setOfPaths([c.path]), allowed)));
    if (refused.length > 0) throw applyConflictError(refused);
    force = true;
  }
  if (conflicts.length > 0 && !force) throw applyConflictError(conflicts);

  const taken: FieldSet = changed;
  const remaining = force ? others.map((m) => ({ ...m, fields: difference(m.fields, taken) })) : others;
  const ordered = input.managers.map((m) => (sameManager(m, who) ? m : remaining.find((r) => sameManager(r, m))!));
  return { object, managers: withOwner(ordered, who, applied).filter((m) => !isEmpty(m.fields)) };
}

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
 * - the manager's Apply entry owns exactly the fields it applied.
 */
import { parse as parseYaml } from 'yaml';
import { applyStrategicMergePatch } from '../strategic-merge-patch.js';
import { ApiError, apiErrors } from '../status.js';
import { difference, emptySet, intersection, isEmpty, members, pathString, removeFields, union, type FieldSet } from './fieldset.js';
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

/** The fieldManager of an apply: required, at most 128 characters (400 as Kubernetes otherwise). */
export function applyManager(params: URLSearchParams): string {
  const manager = params.get('fieldManager');
  if (!manager) throw apiErrors.badRequest('PATCH, application/apply-patch+yaml requires fieldManager to be set');
  if (manager.length > 128) throw apiErrors.badRequest(`fieldManager: Too long: may not be more than 128 bytes`);
  return manager;
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
  const object = removeFields(merged, dropped);

  const changed = intersection(ownedChanges(live, object, kind), applied);
  const conflicts: Conflict[] = [];
  for (const m of others) for (const path of members(intersection(changed, m.fields))) conflicts.push({ manager: m, path });
  if (conflicts.length > 0 && !input.force) throw applyConflictError(conflicts);

  const taken: FieldSet = changed;
  const remaining = input.force ? others.map((m) => ({ ...m, fields: difference(m.fields, taken) })) : others;
  const ordered = input.managers.map((m) => (sameManager(m, who) ? m : remaining.find((r) => sameManager(r, m))!));
  return { object, managers: withOwner(ordered, who, applied).filter((m) => !isEmpty(m.fields)) };
}

/**
 * `metadata.managedFields`: which manager owns which fields, as Kubernetes keeps it. One entry per
 * (manager, operation, subresource): `Apply` for server-side apply, `Update` for every other write
 * (create, PUT, the patches, scale). An ordinary write gives its manager the fields it changed and
 * takes them from every other manager, without conflicts (as Kubernetes does).
 */
import type { KubeObject } from '../../../protocol/objects/meta.js';
import { changedFields, difference, emptySet, fieldSetOf, fromFieldsV1, isEmpty, toFieldsV1, union, type FieldSet } from './fieldset.js';

export type ManagedOperation = 'Apply' | 'Update';

/** One entry of metadata.managedFields, as the API answers it. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: ManagedOperation;
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** An entry with its fields as a set. */
export interface Manager {
  manager: string;
  operation: ManagedOperation;
  apiVersion: string;
  time: string;
  subresource?: string;
  fields: FieldSet;
}

type Obj = Record<string, unknown>;

/** Fields no manager owns: the object's identity and what the server sets (and, on the main resource, status). */
const UNTRACKED_TOP = ['f:apiVersion', 'f:kind', 'f:status'];
const UNTRACKED_METADATA = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'].map(
  (f) => `f:${f}`,
);

/** The set without the untracked fields (nor anything under them). */
function tracked(set: FieldSet): FieldSet {
  const out = difference(set, emptySet());
  for (const top of UNTRACKED_TOP) out.children.delete(top);
  const metadata = out.children.get('f:metadata');
  if (metadata) {
    for (const f of UNTRACKED_METADATA) metadata.children.delete(f);
    if (isEmpty(metadata)) out.children.delete('f:metadata');
  }
  return out;
}

/** The fields an object sets that a manager can own. */
export function ownedFieldsOf(obj: unknown, kind: string): FieldSet {
  return tracked(fieldSetOf(obj, kind));
}

/** The fields that differ between two versions of an object, those a manager can own. */
export function ownedChanges(before: unknown, after: unknown, kind: string): FieldSet {
  return tracked(changedFields(before, after, kind));
}

const isEntry = (e: unknown): e is ManagedFieldsEntry =>
  typeof e === 'object' && e !== null && typeof (e as ManagedFieldsEntry).manager === 'string' && ((e as ManagedFieldsEntry).operation === 'Apply' || (e as ManagedFieldsEntry).operation === 'Update');

/** The managers of a stored object (entries that are not well formed are dropped). */
export function managersOf(obj: { metadata?: Obj } | undefined): Manager[] {
  const entries = obj?.metadata?.managedFields;
  if (!Array.isArray(entries)) return [];
  return entries.filter(isEntry).map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: String(e.apiVersion ?? ''),
    time: String(e.time ?? ''),
    ...(e.subresource ? { subresource: e.subresource } : {}),
    fields: fromFieldsV1(e.fieldsV1),
  }));
}

/** The managedFields entries of these managers; a manager left with no field is dropped. */
export function toEntries(managers: Manager[]): ManagedFieldsEntry[] {
  return managers
    .filter((m) => !isEmpty(m.fields))
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      time: m.time,
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(m.fields),
      ...(m.subresource ? { subresource: m.subresource } : {}),
    }));
}

export const sameManager = (a: Pick<Manager, 'manager' | 'operation' | 'subresource'>, b: Pick<Manager, 'manager' | 'operation' | 'subresource'>): boolean =>
  a.manager === b.manager && a.operation === b.operation && (a.subresource ?? '') === (b.subresource ?? '');

export interface WriteIdentity {
  manager: string;
  operation: ManagedOperation;
  apiVersion: string;
  /** RFC 3339, seconds. */
  time: string;
  subresource?: string;
}

/** `managers` with `who` owning `fields` (its own entry replaced, or added at the end). */
export function withOwner(managers: Manager[], who: WriteIdentity, fields: FieldSet): Manager[] {
  const entry: Manager = { ...who, fields };
  const at = managers.findIndex((m) => sameManager(m, who));
  return at >= 0 ? managers.map((m, i) => (i === at ? entry : m)) : [...managers, entry];
}

/**
 * The managers after an ordinary write (create, PUT, a patch, scale) changed `changed`: the writer's
 * Update entry gains them, every other manager loses them.
 */
export function recordUpdate(managers: Manager[], who: WriteIdentity, changed: FieldSet): Manager[] {
  if (isEmpty(changed)) return managers;
  const own = managers.find((m) => sameManager(m, who))?.fields ?? emptySet();
  const others = managers.map((m) => (sameManager(m, who) ? m : { ...m, fields: difference(m.fields, changed) }));
  return withOwner(others, who, union(own, changed));
}

/**
 * The field manager of a write that names none, as Kubernetes picks it: the client's user agent up to
 * its first "/" (`kubectl/v1.32.0 (linux/amd64) ...` is `kubectl`), cut to 128 characters.
 */
export function defaultManager(userAgent: string | undefined): string {
  const prefix = (userAgent ?? '').split('/')[0]!.trim();
  return (prefix === '' ? 'unknown' : prefix).slice(0, 128);
}

/** Kubernetes' managedFields time: RFC 3339 in seconds. */
export function managedTime(now: number): string {
  return `${new Date(now).toISOString().slice(0, 19)}Z`;
}

/** The object with these managers as its metadata.managedFields (none: the field left out). */
export function withManagedFields<T extends KubeObject>(obj: T, managers: Manager[]): T {
  const entries = toEntries(managers);
  const metadata = { ...obj.metadata } as Obj;
  if (entries.length > 0) metadata.managedFields = entries;
  else delete metadata.managedFields;
  return { ...obj, metadata } as T;
}

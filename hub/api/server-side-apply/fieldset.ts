/**
 * Field sets, as Kubernetes' structured-merge-diff keeps them in `metadata.managedFields[].fieldsV1`:
 * a tree whose keys are path elements —
 *
 * - `f:NAME`: a field of an object (`f:spec`, `f:replicas`);
 * - `k:{"name":"web"}`: the item of a keyed list with that merge key (`containers` by `name`, container
 *   `ports` by `containerPort`, ... — the keys strategic-merge-patch.ts knows);
 * - `v:"x"`: a value of a list of scalars merged as a set (`finalizers`);
 * - `.`: the item (or map) itself is a member, besides its children.
 *
 * A leaf (`{}`) is a scalar, an empty object or an atomic list (every list without a merge key is
 * replaced whole, as Kubernetes' atomic lists). `fieldSetOf` is the set of fields an object sets.
 */
import { isDeepStrictEqual } from 'node:util';
import { listStrategy } from '../strategic-merge-patch.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

/** A node of the tree: `member` when the path itself is in the set, and its children by path element. */
export interface FieldSet {
  member: boolean;
  children: Map<string, FieldSet>;
}

const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export const emptySet = (): FieldSet => ({ member: false, children: new Map() });
const leaf = (): FieldSet => ({ member: true, children: new Map() });

/** The path element of a list item: `k:{...}` for keyed lists, `v:...` for sets of scalars; undefined: the list is atomic. */
function itemElement(kind: string, path: string[], item: Json): string | undefined {
  const strategy = listStrategy(kind, path);
  if (!strategy) return undefined;
  if ('primitive' in strategy) return `v:${JSON.stringify(item)}`;
  if (!isObject(item) || item[strategy.mergeKey] === undefined) return undefined;
  return `k:${JSON.stringify({ [strategy.mergeKey]: item[strategy.mergeKey] })}`;
}

function listSet(kind: string, path: string[], list: Json[]): FieldSet | undefined {
  const strategy = listStrategy(kind, path);
  if (!strategy) return undefined;
  const set = emptySet();
  for (const item of list) {
    const element = itemElement(kind, path, item);
    if (element === undefined) return undefined; // an item without its key: the list is taken whole
    if (element.startsWith('v:')) set.children.set(element, leaf());
    else {
      const child = objectSet(kind, path, item as JsonObject);
      child.member = true;
      set.children.set(element, child);
    }
  }
  return set;
}

function objectSet(kind: string, path: string[], obj: JsonObject): FieldSet {
  const set = emptySet();
  for (const [name, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    const at = [...path, name];
    if (isObject(value) && Object.keys(value).length > 0) set.children.set(`f:${name}`, objectSet(kind, at, value));
    else if (Array.isArray(value) && value.length > 0) set.children.set(`f:${name}`, listSet(kind, at, value) ?? leaf());
    else set.children.set(`f:${name}`, leaf());
  }
  return set;
}

/** The fields `obj` (an object of `kind`) sets. */
export function fieldSetOf(obj: Json, kind: string): FieldSet {
  return isObject(obj) ? objectSet(kind, [], obj) : emptySet();
}

export function isEmpty(set: FieldSet): boolean {
  return !set.member && [...set.children.values()].every(isEmpty);
}

/** `a ∪ b` (new trees; the arguments are not modified). */
export function union(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { member: a.member || b.member, children: new Map() };
  for (const [k, v] of a.children) out.children.set(k, b.children.has(k) ? union(v, b.children.get(k)!) : clone(v));
  for (const [k, v] of b.children) if (!a.children.has(k)) out.children.set(k, clone(v));
  return out;
}

/** `a ∖ b`. */
export function difference(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { member: a.member && !b.member, children: new Map() };
  for (const [k, v] of a.children) {
    const rest = b.children.has(k) ? difference(v, b.children.get(k)!) : clone(v);
    if (!isEmpty(rest)) out.children.set(k, rest);
  }
  return out;
}

/** `a ∩ b`. */
export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { member: a.member && b.member, children: new Map() };
  for (const [k, v] of a.children) {
    const other = b.children.get(k);
    if (!other) continue;
    const both = intersection(v, other);
    if (!isEmpty(both)) out.children.set(k, both);
  }
  return out;
}

function clone(set: FieldSet): FieldSet {
  return { member: set.member, children: new Map([...set.children].map(([k, v]) => [k, clone(v)])) };
}

/** Every member's path (a list of path elements), depth first, in the tree's order. */
export function members(set: FieldSet, prefix: string[] = []): string[][] {
  const out: string[][] = set.member && prefix.length > 0 ? [prefix] : [];
  for (const [k, v] of set.children) out.push(...members(v, [...prefix, k]));
  return out;
}

/** The set holding exactly these member paths. */
export function setOfPaths(paths: string[][]): FieldSet {
  const root = emptySet();
  for (const path of paths) {
    let node = root;
    for (const element of path) {
      if (!node.children.has(element)) node.children.set(element, emptySet());
      node = node.children.get(element)!;
    }
    node.member = true;
  }
  return root;
}

/** The fieldsV1 JSON of a set: `{"f:spec": {"f:replicas": {}}, ...}`, `".": {}` for a member with children. */
export function toFieldsV1(set: FieldSet): JsonObject {
  const out: JsonObject = {};
  if (set.member && set.children.size > 0) out['.'] = {};
  for (const [k, v] of set.children) out[k] = toFieldsV1(v);
  return out;
}

/** The set of a fieldsV1 JSON tree (what a client sent back, or what is stored). */
export function fromFieldsV1(json: Json): FieldSet {
  const set = emptySet();
  if (!isObject(json)) return set;
  const keys = Object.keys(json);
  if (keys.length === 0) set.member = true;
  for (const [k, v] of Object.entries(json)) {
    if (k === '.') set.member = true;
    else set.children.set(k, fromFieldsV1(v));
  }
  return set;
}

/** Kubernetes' text of a path: `.spec.replicas`, `.spec.template.spec.containers[name="web"].image`, `.metadata.finalizers[="x"]`. */
export function pathString(path: string[]): string {
  return path
    .map((element) => {
      if (element.startsWith('f:')) return `.${element.slice(2)}`;
      if (element.startsWith('k:')) {
        const key = JSON.parse(element.slice(2)) as JsonObject;
        return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
      }
      if (element.startsWith('v:')) return `[=${element.slice(2)}]`;
      return element;
    })
    .join('');
}

/** Where a path element leads in `value`: the field, the keyed item or the set's value; `undefined` if absent. */
function step(value: Json, element: string): Json {
  if (element.startsWith('f:')) return isObject(value) ? value[element.slice(2)] : undefined;
  if (!Array.isArray(value)) return undefined;
  if (element.startsWith('k:')) {
    const key = JSON.parse(element.slice(2)) as JsonObject;
    return value.find((item) => isObject(item) && Object.entries(key).every(([k, v]) => isDeepStrictEqual(item[k], v)));
  }
  if (element.startsWith('v:')) {
    const wanted = JSON.parse(element.slice(2)) as Json;
    return value.find((item) => isDeepStrictEqual(item, wanted));
  }
  return undefined;
}

/** The value at a path, undefined when it is not there. */
export function valueAt(obj: Json, path: string[]): Json {
  let value = obj;
  for (const element of path) {
    value = step(value, element);
    if (value === undefined) return undefined;
  }
  return value;
}

/**
 * The fields whose value differs between `before` and `after`: set in one and not the other, or set to
 * another value (a keyed item or a set's value present in one and not the other: it and its fields).
 * One walk over both objects together.
 */
export function changedFields(before: Json, after: Json, kind: string): FieldSet {
  return diffObjects(isObject(before) ? before : {}, isObject(after) ? after : {}, kind, []);
}

/** A leaf: a scalar, an empty object or an empty list. */
const isLeafValue = (v: Json): boolean => !(isObject(v) && Object.keys(v).length > 0) && !(Array.isArray(v) && v.length > 0);

/** The fields a value at `path` sets, as the child of its parent (a leaf when it is one). */
function subtreeOf(kind: string, path: string[], value: Json): FieldSet {
  if (isObject(value) && Object.keys(value).length > 0) return objectSet(kind, path, value);
  if (Array.isArray(value) && value.length > 0) return listSet(kind, path, value) ?? leaf();
  return leaf();
}

function diffObjects(a: JsonObject, b: JsonObject, kind: string, path: string[]): FieldSet {
  const set = emptySet();
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const name of names) {
    const child = diffValues(a[name], b[name], kind, [...path, name]);
    if (child && !isEmpty(child)) set.children.set(`f:${name}`, child);
  }
  return set;
}

function diffValues(a: Json, b: Json, kind: string, path: string[]): FieldSet | undefined {
  if (a === undefined && b === undefined) return undefined;
  if (a === undefined) return subtreeOf(kind, path, b);
  if (b === undefined) return subtreeOf(kind, path, a);
  if (a === b) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return leaf(); // scalars that differ
  if (isLeafValue(a) || isLeafValue(b)) return isDeepStrictEqual(a, b) ? undefined : leaf();
  if (isObject(a) && isObject(b)) return diffObjects(a, b, kind, path);
  if (Array.isArray(a) && Array.isArray(b)) {
    const keyed = diffLists(a, b, kind, path);
    if (keyed) return keyed;
    return isDeepStrictEqual(a, b) ? undefined : leaf();
  }
  return leaf(); // an object became a list or the other way round
}

/** Keyed lists and sets compared item by item; undefined when the list is atomic (compared whole). */
function diffLists(a: Json[], b: Json[], kind: string, path: string[]): FieldSet | undefined {
  if (!listStrategy(kind, path)) return undefined;
  const index = (list: Json[]): Map<string, Json> | undefined => {
    const out = new Map<string, Json>();
    for (const item of list) {
      const element = itemElement(kind, path, item);
      if (element === undefined) return undefined;
      out.set(element, item);
    }
    return out;
  };
  const ia = index(a);
  const ib = index(b);
  if (!ia || !ib) return undefined;
  const set = emptySet();
  for (const element of new Set([...ia.keys(), ...ib.keys()])) {
    const x = ia.get(element);
    const y = ib.get(element);
    if (element.startsWith('v:')) {
      if (x === undefined || y === undefined) set.children.set(element, leaf());
      continue;
    }
    if (x === undefined || y === undefined) {
      const item = objectSet(kind, path, (x ?? y) as JsonObject);
      item.member = true;
      set.children.set(element, item);
      continue;
    }
    const child = diffObjects(x as JsonObject, y as JsonObject, kind, path);
    if (!isEmpty(child)) set.children.set(element, child);
  }
  return set;
}

/**
 * `obj` with the members of `set` removed (a field deleted, a keyed item or a set's value taken out of
 * its list); objects left empty by the removal are removed too. `obj` is not modified.
 */
export function removeFields(obj: JsonObject, set: FieldSet): JsonObject {
  const out = structuredClone(obj);
  // Shallowest first: a keyed item removed whole takes its fields with it (their own paths then find nothing).
  for (const path of members(set).sort((a, b) => a.length - b.length)) removeAt(out, path);
  return out;
}

function removeAt(root: JsonObject, path: string[]): void {
  const parents: Json[] = [root];
  for (const element of path.slice(0, -1)) {
    const next = step(parents[parents.length - 1], element);
    if (next === undefined) return;
    parents.push(next);
  }
  const last = path[path.length - 1]!;
  const parent = parents[parents.length - 1];
  if (last.startsWith('f:')) {
    if (isObject(parent)) delete parent[last.slice(2)];
  } else if (Array.isArray(parent)) {
    const item = step(parent, last);
    const at = parent.indexOf(item);
    if (at >= 0) parent.splice(at, 1);
  }
  // Objects and lists emptied by the removal go too (not the object itself, nor its top-level fields such as spec).
  for (let i = parents.length - 1; i >= 2; i--) {
    const node = parents[i];
    const empty = isObject(node) ? Object.keys(node).length === 0 : Array.isArray(node) && node.length === 0;
    if (!empty) break;
    const holder = parents[i - 1];
    const element = path[i - 1]!;
    if (element.startsWith('f:') && isObject(holder)) delete holder[element.slice(2)];
    else if (Array.isArray(holder)) break; // a keyed item left with its key only is removed by its own path
  }
}

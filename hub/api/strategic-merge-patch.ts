/**
 * Kubernetes' strategic merge patch (application/strategic-merge-patch+json), for the fields of the
 * kinds Drover serves. It is a JSON merge patch (objects merge key by key, null deletes) except where
 * Kubernetes' types declare a patch strategy for a list:
 *
 * - lists of objects with a merge key (`containers` by `name`, a container's `ports` by `containerPort`,
 *   `env` by `name`, `volumes` by `name`, `volumeMounts` by `mountPath`, `conditions` by `type`, ...):
 *   items of the patch are merged into the item of the same key, new ones appended; an item with
 *   `$patch: delete` removes its match; a `{"$patch": "replace"}` item makes the list the patch's;
 * - lists of strings merged as sets (`metadata.finalizers`), `$deleteFromPrimitiveList/<field>`
 *   removing values from them;
 * - `$setElementOrder/<field>`: the order of the merged list (what kubectl sends with every list it patches);
 * - `$patch: replace` on an object replaces it, `$patch: delete` removes it; `$retainKeys` keeps only the
 *   keys it lists (after the merge).
 *
 * Every other list is replaced whole, as in Kubernetes (tolerations, taints, command, args, ...). The
 * merge keys are Kubernetes' patchMergeKey tags, matched by the path of field names (list indices left out).
 */
import { isDeepStrictEqual } from 'node:util';
import { apiErrors, type ApiError } from './status.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

/** A list's strategy: merged by `key` (a list of objects), merged as a set of primitives, or replaced. */
type ListStrategy = { mergeKey: string } | { primitive: true };

interface MergeRule {
  /** The field path (names only) the list sits at, matched at the end of the item's path. */
  suffix: string[];
  /** Only for this kind (a Service's `spec.ports` merge by `port`, a container's by `containerPort`). */
  kind?: string;
  strategy: ListStrategy;
}

const RULES: MergeRule[] = [
  { suffix: ['metadata', 'finalizers'], strategy: { primitive: true } },
  { suffix: ['metadata', 'ownerReferences'], strategy: { mergeKey: 'uid' } },
  { suffix: ['spec', 'containers'], strategy: { mergeKey: 'name' } },
  { suffix: ['spec', 'initContainers'], strategy: { mergeKey: 'name' } },
  { suffix: ['spec', 'ephemeralContainers'], strategy: { mergeKey: 'name' } },
  { suffix: ['spec', 'volumes'], strategy: { mergeKey: 'name' } },
  { suffix: ['spec', 'imagePullSecrets'], strategy: { mergeKey: 'name' } },
  { suffix: ['spec', 'hostAliases'], strategy: { mergeKey: 'ip' } },
  { suffix: ['containers', 'ports'], strategy: { mergeKey: 'containerPort' } },
  { suffix: ['initContainers', 'ports'], strategy: { mergeKey: 'containerPort' } },
  { suffix: ['containers', 'env'], strategy: { mergeKey: 'name' } },
  { suffix: ['initContainers', 'env'], strategy: { mergeKey: 'name' } },
  { suffix: ['containers', 'volumeMounts'], strategy: { mergeKey: 'mountPath' } },
  { suffix: ['initContainers', 'volumeMounts'], strategy: { mergeKey: 'mountPath' } },
  { suffix: ['containers', 'volumeDevices'], strategy: { mergeKey: 'devicePath' } },
  { suffix: ['status', 'conditions'], strategy: { mergeKey: 'type' } },
  { suffix: ['status', 'addresses'], strategy: { mergeKey: 'type' } },
  { suffix: ['spec', 'ports'], kind: 'Service', strategy: { mergeKey: 'port' } },
];

/** The strategy of the list at `path` in an object of `kind`; undefined: the list is replaced. */
export function listStrategy(kind: string, path: readonly string[]): ListStrategy | undefined {
  for (const rule of RULES) {
    if (rule.kind && rule.kind !== kind) continue;
    if (path.length < rule.suffix.length) continue;
    const tail = path.slice(path.length - rule.suffix.length);
    if (tail.every((p, i) => p === rule.suffix[i])) return rule.strategy;
  }
  return undefined;
}

/** A patch that cannot be applied: 400 BadRequest naming the field path and why. */
function badPatch(message: string, path: string): ApiError {
  return apiErrors.badRequest(`the strategic merge patch cannot be applied at ${path || 'the top level'}: ${message}`);
}

const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const SET_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';

/** Apply a strategic merge patch to `original` (an object of `kind`). Neither argument is modified. */
export function applyStrategicMergePatch(original: Json, patch: Json, kind: string): Json {
  if (!isObject(patch)) throw badPatch('a strategic merge patch must be a JSON object', '');
  return mergeObject(isObject(original) ? original : {}, patch, kind, []) ?? {};
}

/** The merged object, or undefined when the patch deletes it (`$patch: delete`). */
function mergeObject(original: JsonObject, patch: JsonObject, kind: string, path: string[]): JsonObject | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch) as JsonObject;
  if (directive !== undefined && directive !== 'merge') throw badPatch(`unknown $patch directive "${String(directive)}"`, path.join('.'));
  const out: JsonObject = structuredClone(original);
  const orders = new Map<string, Json[]>();
  const deletions = new Map<string, Json[]>();
  let retainKeys: string[] | undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch') continue;
    if (key === '$retainKeys') {
      if (!Array.isArray(value) || !value.every((k) => typeof k === 'string')) throw badPatch('$retainKeys must be a list of field names', path.join('.'));
      retainKeys = value;
      continue;
    }
    if (key.startsWith(SET_ORDER)) {
      if (!Array.isArray(value)) throw badPatch(`${key} must be a list`, path.join('.'));
      orders.set(key.slice(SET_ORDER.length), value);
      continue;
    }
    if (key.startsWith(DELETE_FROM_PRIMITIVE)) {
      if (!Array.isArray(value)) throw badPatch(`${key} must be a list`, path.join('.'));
      deletions.set(key.slice(DELETE_FROM_PRIMITIVE.length), value);
      continue;
    }
    if (key.startsWith('$')) throw badPatch(`unknown directive "${key}"`, path.join('.'));
    if (value === null) {
      delete out[key];
      continue;
    }
    const merged = mergeValue(out[key], value, kind, [...path, key]);
    if (merged === undefined) delete out[key];
    else out[key] = merged;
  }
  for (const [field, values] of deletions) {
    const list = out[field];
    if (Array.isArray(list)) out[field] = list.filter((v) => !values.some((d) => isDeepStrictEqual(d, v)));
  }
  for (const [field, order] of orders) {
    const list = out[field];
    if (Array.isArray(list)) out[field] = orderList(list, order, listStrategy(kind, [...path, field]));
  }
  if (retainKeys) for (const key of Object.keys(out)) if (!retainKeys.includes(key)) delete out[key];
  return out;
}

function mergeValue(original: Json, patch: Json, kind: string, path: string[]): Json {
  if (isObject(patch)) return mergeObject(isObject(original) ? original : {}, patch, kind, path);
  if (Array.isArray(patch)) {
    const strategy = listStrategy(kind, path);
    if (!strategy) return stripDirectives(patch);
    return mergeList(Array.isArray(original) ? original : [], patch, strategy, kind, path);
  }
  return patch;
}

function mergeList(original: Json[], patch: Json[], strategy: ListStrategy, kind: string, path: string[]): Json[] {
  const replace = patch.some((item) => isObject(item) && item.$patch === 'replace' && Object.keys(item).length === 1);
  if (replace) return stripDirectives(patch.filter((item) => !(isObject(item) && item.$patch === 'replace' && Object.keys(item).length === 1))) as Json[];
  if ('primitive' in strategy) {
    const out = structuredClone(original);
    for (const v of patch) if (!out.some((o) => isDeepStrictEqual(o, v))) out.push(v);
    return out;
  }
  const key = strategy.mergeKey;
  const out = structuredClone(original);
  for (const item of patch) {
    if (!isObject(item)) throw badPatch(`items of this list are objects merged by "${key}"`, path.join('.'));
    if (!(key in item)) throw badPatch(`an item has no merge key "${key}"`, path.join('.'));
    const at = out.findIndex((o) => isObject(o) && isDeepStrictEqual(o[key], item[key]));
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) {
      const merged = mergeObject(out[at] as JsonObject, item, kind, path);
      if (merged === undefined) out.splice(at, 1);
      else out[at] = merged;
    } else {
      out.push(stripDirectives(mergeObject({}, item, kind, path) ?? {}));
    }
  }
  return out;
}

/**
 * The list in the order `$setElementOrder` gives (its items: merge key objects, or the values of a
 * primitive list); items it does not name keep their place after the named ones, as Kubernetes does.
 */
function orderList(list: Json[], order: Json[], strategy: ListStrategy | undefined): Json[] {
  const keyOf = (item: Json): Json => (strategy && 'mergeKey' in strategy && isObject(item) ? item[strategy.mergeKey] : item);
  const wanted = order.map((o) => (strategy && 'mergeKey' in strategy && isObject(o) ? o[strategy.mergeKey] : o));
  const rank = (item: Json): number => wanted.findIndex((w) => isDeepStrictEqual(w, keyOf(item)));
  const named = list.filter((item) => rank(item) >= 0).sort((a, b) => rank(a) - rank(b));
  const rest = list.filter((item) => rank(item) < 0);
  return [...named, ...rest];
}

/** A value with the patch directives taken out (what replaces or is added keeps no `$` keys). */
function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('$')) out[k] = stripDirectives(v);
  return out;
}

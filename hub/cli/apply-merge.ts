/**
 * What `drover apply` writes when the object exists: a three-way merge as kubectl apply does it.
 * The manifest's fields win; fields the manifest dropped since the last apply (remembered in the
 * last-applied annotation) are removed; fields neither mentions (set by the hub: spec.nodeName,
 * status, uid, ...) are kept.
 */
import type { KubeObject } from '../../protocol/objects/meta.js';
import { LAST_APPLIED_ANNOTATION } from '../../protocol/well-known.js';


function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge3(live: unknown, last: unknown, desired: unknown): unknown {
  if (!isObject(desired)) return structuredClone(desired);
  const out: Record<string, unknown> = isObject(live) ? structuredClone(live) : {};
  if (isObject(last)) for (const k of Object.keys(last)) if (!(k in desired)) delete out[k];
  for (const [k, v] of Object.entries(desired)) out[k] = merge3(out[k], isObject(last) ? last[k] : undefined, v);
  return out;
}

/** The manifest with the last-applied annotation added (what a create sends). */
export function withLastApplied(desired: KubeObject): KubeObject {
  const recorded = structuredClone(desired);
  const annotations = { ...(recorded.metadata.annotations ?? {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  if (Object.keys(annotations).length > 0) recorded.metadata.annotations = annotations;
  else delete recorded.metadata.annotations;
  const copy = structuredClone(recorded);
  copy.metadata.annotations = { ...annotations, [LAST_APPLIED_ANNOTATION]: JSON.stringify(recorded) };
  return copy;
}

export function mergeForApply(live: KubeObject, desired: KubeObject): KubeObject {
  const lastText = live.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  let last: unknown;
  if (lastText) {
    try {
      last = JSON.parse(lastText);
    } catch {
      last = undefined; // a mangled annotation: fall back to a two-way merge
    }
  }
  const { status: _status, ...desiredWithoutStatus } = withLastApplied(desired);
  return merge3(live, last, desiredWithoutStatus) as KubeObject;
}

/**
 * Pod templates as the workload controllers use them: a stable hash of a template (Kubernetes'
 * pod-template-hash / controller-revision-hash), and the Pod a controller creates from a template.
 */
import { canonicalJson } from '../../protocol/canonical-json.js';
import { controllerOf } from '../../protocol/workload-helpers.js';
import type { KubeObject, OwnerReference, Pod, PodTemplateSpec } from '../../protocol/index.js';


/** Kubernetes' rand.SafeEncodeString alphabet: no vowels (no words) and no look-alikes (0/o, 1/l, 3/e). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';


/** 32-bit FNV-1a over the UTF-8 bytes of `text` (Kubernetes hashes templates with fnv32a). */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The hash of a pod template (plus a collision count, as Kubernetes mixes in status.collisionCount),
 * in Kubernetes' form: the decimal digits of fnv32a, each mapped onto the safe alphabet; 8 to 10
 * characters of [a-z0-9]. Stable: the same template always gives the same hash.
 */
export function podTemplateHash(template: PodTemplateSpec, collisionCount = 0): string {
  return objectHash(template, collisionCount);
}

/** The same hash of any JSON value (a ControllerRevision's data). */
export function objectHash(value: unknown, collisionCount = 0): string {
  const text = canonicalJson(value) + (collisionCount > 0 ? `#${collisionCount}` : '');
  const digits = String(fnv32a(text)).padStart(8, '0');
  let out = '';
  for (let i = 0; i < digits.length; i++) out += SAFE_ALPHABET[digits.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** A template with one label added (to the template's pod labels). */
export function templateWithLabel(template: PodTemplateSpec, key: string, value: string): PodTemplateSpec {
  const copy = structuredClone(template);
  copy.metadata = { ...(copy.metadata ?? {}), labels: { ...(copy.metadata?.labels ?? {}), [key]: value } };
  return copy;
}

/** A template with one label removed; a template left with no label keeps an empty labels map out. */
/** The controller reference an owner puts on what it creates (Kubernetes: controller and blockOwnerDeletion true). */
export function controllerRefTo(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** "namespace/name" of the object's controller when it is of `kind` (the key its controller queues). */
export function controllerKey(obj: KubeObject, kind: string): string | undefined {
  const ref = controllerOf(obj);
  return ref?.kind === kind ? `${obj.metadata.namespace ?? 'default'}/${ref.name}` : undefined;
}

export interface PodFromTemplateOptions {
  /** Pods are named `<base>-<5 random [a-z0-9]>` (the store fills in the random part from generateName). */
  base: string;
  namespace: string;
  owner: KubeObject;
  extraLabels?: Record<string, string>;
  nodeName?: string;
}

/** The Pod a controller creates from `template`: its labels and annotations, owned by `owner`. */
export function podFromTemplate(template: PodTemplateSpec, opts: PodFromTemplateOptions): Pod {
  const spec = structuredClone(template.spec);
  if (opts.nodeName !== undefined) spec.nodeName = opts.nodeName;
  const labels = { ...(template.metadata?.labels ?? {}), ...(opts.extraLabels ?? {}) };
  const annotations = template.metadata?.annotations;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: '',
      generateName: `${opts.base}-`,
      namespace: opts.namespace,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(annotations && Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
      ownerReferences: [controllerRefTo(opts.owner)],
    },
    spec,
    status: { phase: 'Pending' },
  };
}

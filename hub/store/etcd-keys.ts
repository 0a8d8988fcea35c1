import type { ObjectKey } from './store.js';

/**
 * Where the etcd store keeps things, under one prefix (default `/drover/`, as Kubernetes uses `/registry/`):
 * `<prefix>objects/<kind>/<namespace>/<name>` for objects ('' namespace for cluster-scoped kinds) and
 * `<prefix>meta/...` for the store's own keys. Names, namespaces and kinds never hold a '/'.
 */
export interface EtcdKeys {
  prefix: string;
  objects: string;
  object(key: ObjectKey): string;
  kind(kind: string, namespace?: string): string;
  meta(name: string): string;
  /** The object key of an etcd key under `objects`, or undefined for any other key. */
  parse(etcdKey: string): ObjectKey | undefined;
}

export function etcdKeys(prefix = '/drover/'): EtcdKeys {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const objects = `${base}objects/`;
  return {
    prefix: base,
    objects,
    object: (k) => `${objects}${k.kind}/${k.namespace}/${k.name}`,
    kind: (kind, namespace) => (namespace === undefined ? `${objects}${kind}/` : `${objects}${kind}/${namespace}/`),
    meta: (name) => `${base}meta/${name}`,
    parse(etcdKey) {
      if (!etcdKey.startsWith(objects)) return undefined;
      const parts = etcdKey.slice(objects.length).split('/');
      if (parts.length !== 3 || !parts[0] || !parts[2]) return undefined;
      return { kind: parts[0], namespace: parts[1]!, name: parts[2] };
    },
  };
}

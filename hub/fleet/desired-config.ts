/**
 * The ConfigMaps and Secrets a desired set carries: exactly those its pods reference (env
 * valueFrom configMapKeyRef/secretKeyRef, envFrom configMapRef/secretRef, configMap/secret volumes),
 * never more. Pure, for tests.
 */
import type { ConfigData } from '../../protocol/messages.js';
import type { ConfigMap, Secret } from '../../protocol/objects/config.js';
import type { Pod } from '../../protocol/objects/pod.js';

export type ConfigKind = 'ConfigMap' | 'Secret';

export interface ConfigRef {
  kind: ConfigKind;
  namespace: string;
  name: string;
}

/** `ConfigMap/ns/name`: one string per referenced object, for sets and maps. */
export function configRefKey(ref: ConfigRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** Every ConfigMap/Secret the pod references, deduplicated, in a stable order. */
export function podConfigRefs(pod: Pod): ConfigRef[] {
  const namespace = pod.metadata.namespace ?? 'default';
  const refs = new Map<string, ConfigRef>();
  const add = (kind: ConfigKind, name: string | undefined): void => {
    if (!name) return;
    const ref = { kind, namespace, name };
    refs.set(configRefKey(ref), ref);
  };
  for (const container of pod.spec.containers) {
    for (const env of container.env ?? []) {
      add('ConfigMap', env.valueFrom?.configMapKeyRef?.name);
      add('Secret', env.valueFrom?.secretKeyRef?.name);
    }
    for (const source of container.envFrom ?? []) {
      add('ConfigMap', source.configMapRef?.name);
      add('Secret', source.secretRef?.name);
    }
  }
  for (const volume of pod.spec.volumes ?? []) {
    add('ConfigMap', volume.configMap?.name);
    add('Secret', volume.secret?.secretName);
  }
  return [...refs.values()].sort((a, b) => configRefKey(a).localeCompare(configRefKey(b)));
}

/** The refs of several pods, deduplicated and sorted. */
export function configRefsOf(pods: Pod[]): ConfigRef[] {
  const all = new Map(pods.flatMap(podConfigRefs).map((r) => [configRefKey(r), r]));
  return [...all.values()].sort((a, b) => configRefKey(a).localeCompare(configRefKey(b)));
}

/** A stored ConfigMap or Secret as sent to an agent: every value base64 (ConfigMap data encoded, binaryData as is). */
export function toConfigData(object: ConfigMap | Secret): ConfigData {
  const data: Record<string, string> = {};
  if (object.kind === 'ConfigMap') {
    for (const [k, v] of Object.entries(object.data ?? {})) data[k] = Buffer.from(v, 'utf8').toString('base64');
    for (const [k, v] of Object.entries(object.binaryData ?? {})) data[k] = v;
  } else {
    Object.assign(data, object.data ?? {});
    // stored Secrets have stringData merged already; honour it anyway for a store that did not
    for (const [k, v] of Object.entries(object.stringData ?? {})) data[k] = Buffer.from(v, 'utf8').toString('base64');
  }
  return { kind: object.kind, namespace: object.metadata.namespace ?? 'default', name: object.metadata.name, data };
}

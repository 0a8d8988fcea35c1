/**
 * The ConfigMaps and Secrets of the desired set, as the pod mapping uses them: lookup by
 * kind/namespace/name, decoded values, and the kubelet's error messages for what is missing.
 * Pure functions; values never go into logs or errors.
 */
import type { ConfigData } from '../../protocol/messages.js';
import { ContainerConfigError } from '../errors.js';

export type ConfigKind = ConfigData['kind'];

/** Finds one ConfigMap/Secret of the current desired set; undefined when the hub sent none of that name. */
export type ConfigLookup = (kind: ConfigKind, namespace: string, name: string) => ConfigData | undefined;

/** A lookup over whatever `current()` returns at call time (the reconciler's current desired set). */
export function configLookupFrom(current: () => readonly ConfigData[] | undefined): ConfigLookup {
  return (kind, namespace, name) => current()?.find((c) => c.kind === kind && c.namespace === namespace && c.name === name);
}

/** No config at all (pods that reference none). */
export const noConfig: ConfigLookup = () => undefined;

/** `configmap "x" not found` / `secret "x" not found`, as the kubelet words it. */
export function notFoundMessage(kind: ConfigKind, name: string): string {
  return `${kind === 'ConfigMap' ? 'configmap' : 'secret'} "${name}" not found`;
}

/** The object, or undefined when it is optional and missing. Throws ContainerConfigError otherwise. */
export function requireConfig(lookup: ConfigLookup, kind: ConfigKind, namespace: string, name: string, optional: boolean | undefined): ConfigData | undefined {
  const found = lookup(kind, namespace, name);
  if (!found && !optional) throw new ContainerConfigError(notFoundMessage(kind, name));
  return found;
}

/** One value, decoded from base64. */
export function configValue(config: ConfigData, key: string): Buffer | undefined {
  const encoded = config.data[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64');
}

/** `couldn't find key k in ConfigMap ns/name`, as the kubelet words it. */
export function missingKeyMessage(config: ConfigData, key: string): string {
  return `couldn't find key ${key} in ${config.kind} ${config.namespace}/${config.name}`;
}

/** A C identifier-ish name the kubelet accepts for envFrom keys. */
export function isValidEnvName(name: string): boolean {
  return /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name);
}

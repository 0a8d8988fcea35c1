import type { z } from 'zod';
import { namespaceSchema } from './objects/namespace.js';
import { nodeSchema } from './objects/node.js';
import { podSchema } from './objects/pod.js';

/** What Drover knows of one kind: where it lives in the API and how to validate it. */
export interface KindInfo {
  kind: string;
  apiVersion: string;
  /** API group ('' for core). */
  group: string;
  version: string;
  /** Lower-case plural used in URLs and the CLI. */
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  schema: z.ZodType;
}

const registry: KindInfo[] = [];

export function registerKind(info: KindInfo): void {
  const existing = registry.findIndex((k) => k.kind === info.kind);
  if (existing >= 0) registry[existing] = info;
  else registry.push(info);
}

registerKind({
  kind: 'Namespace', apiVersion: 'v1', group: '', version: 'v1', plural: 'namespaces', singular: 'namespace',
  shortNames: ['ns'], namespaced: false, schema: namespaceSchema,
});
registerKind({
  kind: 'Node', apiVersion: 'v1', group: '', version: 'v1', plural: 'nodes', singular: 'node',
  shortNames: ['no'], namespaced: false, schema: nodeSchema,
});
registerKind({
  kind: 'Pod', apiVersion: 'v1', group: '', version: 'v1', plural: 'pods', singular: 'pod',
  shortNames: ['po'], namespaced: true, schema: podSchema,
});

export function allKinds(): readonly KindInfo[] {
  return registry;
}

export function kindByName(kind: string): KindInfo | undefined {
  return registry.find((k) => k.kind === kind);
}

/** Resolve what a user typed on the CLI ("pods", "pod", "po", "Pod", "deployments.apps"). */
export function resolveResource(name: string): KindInfo | undefined {
  const n = name.toLowerCase().replace(/\.(apps|core)$/, '');
  return registry.find((k) => k.plural === n || k.singular === n || k.shortNames.includes(n) || k.kind.toLowerCase() === n);
}

export function kindByPlural(group: string, plural: string): KindInfo | undefined {
  return registry.find((k) => k.group === group && k.plural === plural);
}

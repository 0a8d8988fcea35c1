/**
 * What the OpenAPI v2 and v3 documents share: each kind's schema from the zod schema the hub validates
 * with, under Kubernetes' name (`io.k8s.api.apps.v1.Deployment`), with `x-kubernetes-group-version-kind`
 * and, on the lists strategic merge patch and server-side apply merge by key (`containers` by `name`,
 * ...), Kubernetes' list annotations: `x-kubernetes-patch-merge-key`/`x-kubernetes-patch-strategy`
 * (kubectl's client-side strategic merge) and `x-kubernetes-list-type`/`x-kubernetes-list-map-keys`.
 * The operations' query parameters are described here once too.
 */
import { z } from 'zod';
import type { KindInfo } from '../../protocol/kinds.js';
import { listStrategy } from './strategic-merge-patch.js';

export type Json = Record<string, unknown>;
export type OpenApiVersion = 'v2' | 'v3';

/** Kubernetes' schema name for a kind: io.k8s.api.core.v1.Pod, io.k8s.api.apps.v1.Deployment, io.k8s.api.discovery.v1.EndpointSlice. */
export function schemaName(info: KindInfo): string {
  const group = info.group === '' ? 'core' : info.group.split('.')[0]!;
  return `io.k8s.api.${group}.${info.version}.${info.kind}`;
}

export const gvk = (info: KindInfo) => ({ group: info.group, version: info.version, kind: info.kind });

/** The tag of a kind's operations: core_v1, apps_v1, ... */
export const tagOf = (info: KindInfo): string => (info.group === '' ? 'core_v1' : `${info.group.split('.')[0]}_${info.version}`);

/** The patch content types the hub reads (PATCH's request body). */
export const PATCH_CONTENT_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

/** The query parameters of the operations: name and description. */
export const QUERY_PARAMETERS = {
  dryRun: 'When present (All), the change is checked and not stored.',
  fieldManager: 'The name of the actor making the change (required for server-side apply).',
  fieldValidation: 'Strict, Warn or Ignore; the hub always refuses fields its schema does not know.',
  force: 'Server-side apply: take the fields other managers own instead of answering a conflict.',
  labelSelector: 'Only objects whose labels match.',
  fieldSelector: 'Only objects whose fields match.',
  limit: 'At most this many objects; continue with the returned token.',
  continue: 'The continue token of the previous page.',
  watch: 'Stream changes instead of listing.',
  resourceVersion: 'List or watch from this resource version.',
} as const;
export type QueryParameter = keyof typeof QUERY_PARAMETERS;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The list annotations Kubernetes puts on its keyed lists and sets, walking the schema by field path. */
function annotateLists(schema: Json, kind: string, path: string[], version: OpenApiVersion): void {
  const properties = schema.properties;
  if (isObject(properties)) {
    for (const [name, child] of Object.entries(properties)) if (isObject(child)) annotateLists(child, kind, [...path, name], version);
  }
  if (schema.type === 'array') {
    const strategy = listStrategy(kind, path);
    if (strategy && 'mergeKey' in strategy) {
      Object.assign(schema, { 'x-kubernetes-patch-merge-key': strategy.mergeKey, 'x-kubernetes-patch-strategy': 'merge' });
      if (version === 'v3') Object.assign(schema, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [strategy.mergeKey] });
    } else if (strategy) {
      Object.assign(schema, { 'x-kubernetes-patch-strategy': 'merge' });
      if (version === 'v3') schema['x-kubernetes-list-type'] = 'set';
    }
    if (isObject(schema.items)) annotateLists(schema.items, kind, path, version);
  }
  if (isObject(schema.additionalProperties)) annotateLists(schema.additionalProperties, kind, [...path, '*'], version);
}

/**
 * Swagger 2.0 has no `anyOf` and no `nullable`: a string-or-number (IntOrString, quantities) becomes
 * Kubernetes' `type: string, format: int-or-string`, `nullable` is dropped.
 */
function toSwagger2(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toSwagger2);
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'nullable') continue;
    if (k === 'anyOf' && Array.isArray(v)) {
      const types = v.map((s) => (isObject(s) ? s.type : undefined));
      if (types.includes('string') && types.some((t) => t === 'number' || t === 'integer')) Object.assign(out, { type: 'string', format: 'int-or-string' });
      else Object.assign(out, toSwagger2(v[0]) as Json);
      continue;
    }
    out[k] = toSwagger2(v);
  }
  return out;
}

/** A kind's schema for a document of `version`. */
export function kindSchema(info: KindInfo, version: OpenApiVersion): Json {
  const raw = z.toJSONSchema(info.schema, { target: version === 'v3' ? 'openapi-3.0' : 'draft-04', io: 'input', unrepresentable: 'any' }) as Json;
  delete raw.$schema;
  const schema = version === 'v3' ? raw : (toSwagger2(raw) as Json);
  annotateLists(schema, info.kind, [], version);
  return { ...schema, description: `${info.kind} (${info.apiVersion}) as the Drover hub accepts it.`, 'x-kubernetes-group-version-kind': [gvk(info)] };
}

/** The collection path of a kind and the path parameters its named path adds. */
export function resourcePaths(info: KindInfo): { collection: string; named: string } {
  const root = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const collection = info.namespaced ? `${root}/namespaces/{namespace}/${info.plural}` : `${root}/${info.plural}`;
  return { collection, named: `${collection}/{name}` };
}

/** The operations of a kind's paths: HTTP method, Kubernetes action, description, query parameters, body. */
export function operationsOf(info: KindInfo): Array<{ path: 'collection' | 'named'; method: string; action: string; description: string; query: QueryParameter[]; body: boolean }> {
  return [
    { path: 'collection', method: 'get', action: 'list', description: `List ${info.plural}.`, query: ['labelSelector', 'fieldSelector', 'limit', 'continue', 'watch', 'resourceVersion'], body: false },
    { path: 'collection', method: 'post', action: 'post', description: `Create a ${info.kind}.`, query: ['dryRun', 'fieldManager', 'fieldValidation'], body: true },
    { path: 'named', method: 'get', action: 'get', description: `Read a ${info.kind}.`, query: [], body: false },
    { path: 'named', method: 'put', action: 'put', description: `Replace a ${info.kind}.`, query: ['dryRun', 'fieldManager', 'fieldValidation'], body: true },
    { path: 'named', method: 'patch', action: 'patch', description: `Partially update a ${info.kind}.`, query: ['dryRun', 'fieldManager', 'fieldValidation', 'force'], body: true },
    { path: 'named', method: 'delete', action: 'delete', description: `Delete a ${info.kind}.`, query: ['dryRun'], body: false },
  ];
}

/** How one OpenAPI version writes a parameter and an operation (v2 and v3 differ only there). */
export interface OperationWriter {
  param(name: string, location: 'path' | 'query', description: string): Json;
  operation(info: KindInfo, action: string, description: string, parameters: Json[], body: boolean): Json;
}

/** A kind's two paths (collection, named) with their operations, in the writer's version. */
export function pathsOf(info: KindInfo, writer: OperationWriter): Record<string, Json> {
  const paths = resourcePaths(info);
  const scope = info.namespaced ? [writer.param('namespace', 'path', 'The object namespace.')] : [];
  const named = [writer.param('name', 'path', `The name of the ${info.kind}.`), ...scope];
  const out: Record<string, Json> = { [paths.collection]: {}, [paths.named]: {} };
  for (const op of operationsOf(info)) {
    const query = op.query.map((q) => writer.param(q, 'query', QUERY_PARAMETERS[q]));
    out[paths[op.path]]![op.method] = writer.operation(info, op.action, op.description, [...(op.path === 'named' ? named : scope), ...query], op.body);
  }
  return out;
}

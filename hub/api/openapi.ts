/**
 * OpenAPI v3, as kube-apiserver serves it, generated from the zod schemas the hub validates with (so
 * what a client is told is what the hub accepts):
 *
 * - `/openapi/v3`: the index, one entry per group-version (`api/v1`, `apis/apps/v1`, ...) with its
 *   document's URL and a hash;
 * - `/openapi/v3/api/v1`, `/openapi/v3/apis/GROUP/VERSION`: an OpenAPI 3.0 document with each kind's
 *   schema under `components.schemas` (Kubernetes' names, `io.k8s.api.core.v1.Pod`, with
 *   `x-kubernetes-group-version-kind`, which `kubectl explain` looks up), and each resource's paths
 *   with their operations, whose PATCH lists the `fieldValidation` query parameter: kubectl then lets
 *   the hub validate (`--validate=strict` by default) instead of asking for `--validate=false`.
 *
 * Field validation is always strict: a field the schema does not know is refused, whatever
 * `fieldValidation` says.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { allKinds, type KindInfo } from '../../protocol/kinds.js';
import { apiErrors } from './status.js';

type Json = Record<string, unknown>;

interface GroupVersionDoc {
  path: string;
  text: string;
  hash: string;
}

/** Kubernetes' schema name for a kind: io.k8s.api.core.v1.Pod, io.k8s.api.apps.v1.Deployment, io.k8s.api.discovery.v1.EndpointSlice. */
export function schemaName(info: KindInfo): string {
  const group = info.group === '' ? 'core' : info.group.split('.')[0]!;
  return `io.k8s.api.${group}.${info.version}.${info.kind}`;
}

const gvk = (info: KindInfo) => ({ group: info.group, version: info.version, kind: info.kind });

function kindSchema(info: KindInfo): Json {
  const schema = z.toJSONSchema(info.schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Json;
  delete schema.$schema;
  return { ...schema, description: `${info.kind} (${info.apiVersion}) as the Drover hub accepts it.`, 'x-kubernetes-group-version-kind': [gvk(info)] };
}

const param = (name: string, location: 'path' | 'query', description: string): Json => ({
  name,
  in: location,
  description,
  ...(location === 'path' ? { required: true } : {}),
  schema: { type: 'string', uniqueItems: true },
});

const QUERY = {
  dryRun: param('dryRun', 'query', 'When present (All), the change is checked and not stored.'),
  fieldManager: param('fieldManager', 'query', 'The name of the actor making the change.'),
  fieldValidation: param('fieldValidation', 'query', 'Strict, Warn or Ignore; the hub always refuses fields its schema does not know.'),
  labelSelector: param('labelSelector', 'query', 'Only objects whose labels match.'),
  fieldSelector: param('fieldSelector', 'query', 'Only objects whose fields match.'),
  limit: param('limit', 'query', 'At most this many objects; continue with the returned token.'),
  continue: param('continue', 'query', 'The continue token of the previous page.'),
  watch: param('watch', 'query', 'Stream changes instead of listing.'),
  resourceVersion: param('resourceVersion', 'query', 'List or watch from this resource version.'),
};

function operation(info: KindInfo, action: string, description: string, parameters: Json[], body: boolean): Json {
  const ref = { $ref: `#/components/schemas/${schemaName(info)}` };
  return {
    description,
    operationId: `${action}${info.kind}`,
    tags: [info.group === '' ? 'core_v1' : `${info.group.split('.')[0]}_${info.version}`],
    parameters,
    ...(body
      ? {
          requestBody: {
            required: true,
            content:
              action === 'patch'
                ? Object.fromEntries(['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json'].map((t) => [t, { schema: { type: 'object' } }]))
                : { '*/*': { schema: ref } },
          },
        }
      : {}),
    responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } }, '401': { description: 'Unauthorized' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(info),
  };
}

function pathsOf(info: KindInfo): Record<string, Json> {
  const root = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const collection = info.namespaced ? `${root}/namespaces/{namespace}/${info.plural}` : `${root}/${info.plural}`;
  const scope = info.namespaced ? [param('namespace', 'path', 'The object namespace.')] : [];
  const named = [param('name', 'path', `The name of the ${info.kind}.`), ...scope];
  return {
    [collection]: {
      get: operation(info, 'list', `List ${info.plural}.`, [...scope, QUERY.labelSelector, QUERY.fieldSelector, QUERY.limit, QUERY.continue, QUERY.watch, QUERY.resourceVersion], false),
      post: operation(info, 'post', `Create a ${info.kind}.`, [...scope, QUERY.dryRun, QUERY.fieldManager, QUERY.fieldValidation], true),
    },
    [`${collection}/{name}`]: {
      get: operation(info, 'get', `Read a ${info.kind}.`, named, false),
      put: operation(info, 'put', `Replace a ${info.kind}.`, [...named, QUERY.dryRun, QUERY.fieldManager, QUERY.fieldValidation], true),
      patch: operation(info, 'patch', `Partially update a ${info.kind}.`, [...named, QUERY.dryRun, QUERY.fieldManager, QUERY.fieldValidation], true),
      delete: operation(info, 'delete', `Delete a ${info.kind}.`, [...named, QUERY.dryRun], false),
    },
  };
}

const gvPath = (group: string, version: string): string => (group === '' ? `api/${version}` : `apis/${group}/${version}`);

function buildDocs(): Map<string, GroupVersionDoc> {
  const byGv = new Map<string, KindInfo[]>();
  for (const info of allKinds()) {
    const key = gvPath(info.group, info.version);
    byGv.set(key, [...(byGv.get(key) ?? []), info]);
  }
  const docs = new Map<string, GroupVersionDoc>();
  for (const [path, kinds] of byGv) {
    const doc = {
      openapi: '3.0.0',
      info: { title: 'Drover', version: 'v1.30.0-drover' },
      paths: Object.assign({}, ...kinds.map(pathsOf)),
      components: {
        schemas: Object.fromEntries(kinds.map((k) => [schemaName(k), kindSchema(k)])),
        securitySchemes: { BearerToken: { type: 'apiKey', in: 'header', name: 'authorization', description: 'Bearer token' } },
      },
      security: [{ BearerToken: [] }],
    };
    const text = JSON.stringify(doc);
    docs.set(path, { path, text, hash: createHash('sha512').update(text).digest('hex').slice(0, 128).toUpperCase() });
  }
  return docs;
}

let cached: Map<string, GroupVersionDoc> | undefined;
const documents = (): Map<string, GroupVersionDoc> => (cached ??= buildDocs());

/** `/openapi/v3`: where each group-version's document is. */
export function openApiIndex(): unknown {
  return { paths: Object.fromEntries([...documents().values()].map((d) => [d.path, { serverRelativeURL: `/openapi/v3/${d.path}?hash=${d.hash}` }])) };
}

/** `/openapi/v3/<gv path>`: its document's JSON text, else 404. */
export function openApiDocument(path: string): string {
  const doc = documents().get(path);
  if (!doc) throw apiErrors.resourceNotFound(`/openapi/v3/${path}`);
  return doc.text;
}

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
import { allKinds, type KindInfo } from '../../protocol/kinds.js';
import { gvk, kindSchema, PATCH_CONTENT_TYPES, pathsOf, schemaName, tagOf, type Json, type OperationWriter } from './openapi-schema.js';
import { SERVER_VERSION } from './discovery.js';
import { apiErrors } from './status.js';

export { schemaName } from './openapi-schema.js';

interface GroupVersionDoc {
  path: string;
  text: string;
  hash: string;
}

const param = (name: string, location: 'path' | 'query', description: string): Json => ({
  name,
  in: location,
  description,
  ...(location === 'path' ? { required: true } : {}),
  schema: { type: 'string', uniqueItems: true },
});

function operation(info: KindInfo, action: string, description: string, parameters: Json[], body: boolean): Json {
  const ref = { $ref: `#/components/schemas/${schemaName(info)}` };
  return {
    description,
    operationId: `${action}${info.kind}`,
    tags: [tagOf(info)],
    parameters,
    ...(body
      ? {
          requestBody: {
            required: true,
            content: action === 'patch' ? Object.fromEntries(PATCH_CONTENT_TYPES.map((t) => [t, { schema: { type: 'object' } }])) : { '*/*': { schema: ref } },
          },
        }
      : {}),
    responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } }, '401': { description: 'Unauthorized' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(info),
  };
}

const writer: OperationWriter = { param, operation };

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
      info: { title: 'Drover', version: SERVER_VERSION.gitVersion },
      paths: Object.assign({}, ...kinds.map((k) => pathsOf(k, writer))),
      components: {
        schemas: Object.fromEntries(kinds.map((k) => [schemaName(k), kindSchema(k, 'v3')])),
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

/**
 * OpenAPI v2 (Swagger 2.0) at `/openapi/v2`, as kube-apiserver serves it, from the same kind schemas as
 * the v3 documents (openapi-schema.ts): one document with every kind under `definitions`
 * (`io.k8s.api.apps.v1.Deployment`, with `x-kubernetes-group-version-kind` and the keyed lists'
 * `x-kubernetes-patch-merge-key`/`x-kubernetes-patch-strategy`) and every resource's paths.
 *
 * JSON only. client-go's `OpenAPISchema()` asks for `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`
 * alone and decodes the answer as protobuf, without a JSON fallback: that Accept is answered 406
 * NotAcceptable (kubectl 1.27+ reads the v3 documents for explain, validation and apply, and uses v2
 * only when v3 is missing). `Accept: application/json`, `*\/*` or none gets the JSON.
 */
import { createHash } from 'node:crypto';
import { allKinds, type KindInfo } from '../../protocol/kinds.js';
import { gvk, kindSchema, PATCH_CONTENT_TYPES, pathsOf, schemaName, tagOf, type Json, type OperationWriter } from './openapi-schema.js';
import { SERVER_VERSION } from './discovery.js';
import { apiErrors } from './status.js';

const param = (name: string, location: 'path' | 'query', description: string): Json => ({
  name,
  in: location,
  description,
  type: 'string',
  uniqueItems: true,
  ...(location === 'path' ? { required: true } : {}),
});

function operation(info: KindInfo, action: string, description: string, parameters: Json[], body: boolean): Json {
  const ref = { $ref: `#/definitions/${schemaName(info)}` };
  return {
    description,
    operationId: `${action}${info.kind}`,
    tags: [tagOf(info)],
    consumes: action === 'patch' ? PATCH_CONTENT_TYPES : ['*/*'],
    produces: ['application/json', 'application/yaml'],
    schemes: ['https'],
    parameters: body ? [...parameters, { name: 'body', in: 'body', required: true, schema: action === 'patch' ? { type: 'object' } : ref }] : parameters,
    responses: { '200': { description: 'OK', schema: ref }, '401': { description: 'Unauthorized' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(info),
  };
}

const writer: OperationWriter = { param, operation };

function buildDocument(): { text: string; etag: string } {
  const kinds = allKinds();
  const doc = {
    swagger: '2.0',
    info: { title: 'Drover', version: SERVER_VERSION.gitVersion },
    paths: Object.assign({}, ...kinds.map((k) => pathsOf(k, writer))),
    definitions: Object.fromEntries(kinds.map((k) => [schemaName(k), kindSchema(k, 'v2')])),
    securityDefinitions: { BearerToken: { type: 'apiKey', in: 'header', name: 'authorization', description: 'Bearer token' } },
    security: [{ BearerToken: [] }],
  };
  const text = JSON.stringify(doc);
  return { text, etag: `"${createHash('sha512').update(text).digest('hex').slice(0, 128).toUpperCase()}"` };
}

let cached: { text: string; etag: string } | undefined;

/** True when the Accept header takes JSON (or anything); false when it asks only for other types (the protobuf one). */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const type = part.split(';')[0]!.trim().toLowerCase();
    const q = /;\s*q=([0-9.]+)/.exec(part)?.[1];
    return (type === 'application/json' || type === 'application/*' || type === '*/*') && (q === undefined || Number(q) > 0);
  });
}

/** `/openapi/v2`: the document's JSON text and its ETag; 406 when the client takes only protobuf. */
export function openApiV2Document(accept: string | undefined): { text: string; etag: string } {
  if (!acceptsJson(accept)) throw apiErrors.notAcceptable(`only application/json is served at /openapi/v2 (asked for ${accept})`);
  return (cached ??= buildDocument());
}

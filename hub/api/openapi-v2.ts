/**
 * OpenAPI v2 (Swagger 2.0) at `/openapi/v2`, as kube-apiserver serves it, from the same kind schemas as
 * the v3 documents (openapi-schema.ts): one document with every kind under `definitions`
 * (`io.k8s.api.apps.v1.Deployment`, with `x-kubernetes-group-version-kind` and the keyed lists'
 * `x-kubernetes-patch-merge-key`/`x-kubernetes-patch-strategy`) and every resource's paths.
 *
 * JSON, or protobuf: client-go's `OpenAPISchema()` (kubectl before 1.27 for apply, explain and
 * validation) asks for `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` alone and decodes
 * the answer as the gnostic openapi.v2.Document message (protobuf/openapi-v2.ts). `Accept:
 * application/json`, `*\/*` or none gets the JSON; any other Accept is 406.
 */
import { createHash } from 'node:crypto';
import { allKinds, type KindInfo } from '../../protocol/kinds.js';
import { gvk, kindSchema, PATCH_CONTENT_TYPES, pathsOf, schemaName, tagOf, type Json, type OperationWriter } from './openapi-schema.js';
import { SERVER_VERSION } from './discovery.js';
import { apiErrors } from './status.js';
import { encodeOpenApiV2, OPENAPI_V2_PROTOBUF_MEDIA_TYPE } from './protobuf/openapi-v2.js';

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

interface V2Document {
  text: string;
  etag: string;
  protobuf: Buffer;
  protobufEtag: string;
}

const etagOf = (b: string | Buffer) => `"${createHash('sha512').update(b).digest('hex').slice(0, 128).toUpperCase()}"`;

function buildDocument(): V2Document {
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
  const protobuf = encodeOpenApiV2(doc);
  return { text, etag: etagOf(text), protobuf, protobufEtag: etagOf(protobuf) };
}

let cached: V2Document | undefined;

/** True when the Accept header takes JSON (or anything); false when it asks only for other types (the protobuf one). */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const type = part.split(';')[0]!.trim().toLowerCase();
    const q = /;\s*q=([0-9.]+)/.exec(part)?.[1];
    return (type === 'application/json' || type === 'application/*' || type === '*/*') && (q === undefined || Number(q) > 0);
  });
}

/** True when the Accept header takes the v2 document's protobuf. */
export function acceptsV2Protobuf(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => part.split(';')[0]!.trim().toLowerCase() === OPENAPI_V2_PROTOBUF_MEDIA_TYPE.toLowerCase());
}

/** `/openapi/v2`: the document (JSON text or protobuf bytes), its content type and ETag; 406 for any other Accept. */
export function openApiV2Document(accept: string | undefined): { body: string | Buffer; contentType: string; etag: string } {
  const doc = (cached ??= buildDocument());
  if (acceptsJson(accept)) return { body: doc.text, contentType: 'application/json', etag: doc.etag };
  // as kube-openapi: the media type asked for is no valid MIME type (its '@'), so the answer is octet-stream
  if (acceptsV2Protobuf(accept)) return { body: doc.protobuf, contentType: 'application/octet-stream', etag: doc.protobufEtag };
  throw apiErrors.notAcceptable(`only application/json and ${OPENAPI_V2_PROTOBUF_MEDIA_TYPE} are served at /openapi/v2 (asked for ${accept})`);
}

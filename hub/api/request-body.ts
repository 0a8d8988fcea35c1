/**
 * Request bodies by Content-Type, as kube-apiserver reads them: JSON (application/json and the patch
 * types, which are JSON too; also a body without a Content-Type), YAML (application/yaml, one document)
 * and Kubernetes protobuf (application/vnd.kubernetes.protobuf, what kubectl's typed clients send for
 * create, eviction and delete). Every form comes out as the same JSON object, which the handlers
 * validate with the same schemas. Any other content type is 415.
 */
import { parseAllDocuments } from 'yaml';
import { decodeKubernetesProtobuf, PROTOBUF_MEDIA_TYPE, ProtobufBodyError } from './protobuf/codec.js';
import { apiErrors } from './status.js';

const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml', 'application/apply-patch+yaml']);

/** The media type of a Content-Type header, lower case, without parameters ('' when absent). */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function isJson(mediaType: string): boolean {
  return mediaType === '' || mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw apiErrors.badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

function parseYaml(text: string): unknown {
  const docs = parseAllDocuments(text).filter((d) => d.contents !== null);
  if (docs.length !== 1) throw apiErrors.badRequest(`the request body must be one YAML document, not ${docs.length}`);
  const doc = docs[0]!;
  if (doc.errors.length > 0) throw apiErrors.badRequest(`the request body is not valid YAML: ${doc.errors[0]!.message}`);
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    throw apiErrors.badRequest(`the request body is not valid YAML: ${(err as Error).message}`);
  }
}

function parseProtobuf(body: Buffer): unknown {
  try {
    return decodeKubernetesProtobuf(body).object;
  } catch (err) {
    if (!(err instanceof ProtobufBodyError)) throw err;
    if (err.unsupportedKind) throw apiErrors.unsupportedMediaType(err.message);
    throw apiErrors.badRequest(`the request body is not a valid Kubernetes protobuf message: ${err.message}`);
  }
}

/** Decode a request body of `contentType`; an empty body is undefined when `optional`, else 400. */
export function decodeRequestBody(contentType: string | undefined, body: Buffer, optional: boolean): unknown {
  const mediaType = mediaTypeOf(contentType);
  const text = mediaType === PROTOBUF_MEDIA_TYPE ? '' : body.toString('utf8');
  if (body.length === 0 || (mediaType !== PROTOBUF_MEDIA_TYPE && text.trim() === '')) {
    if (optional) return undefined;
    throw apiErrors.badRequest('the request body is empty: send a JSON object');
  }
  if (isJson(mediaType)) return parseJson(text);
  if (YAML_TYPES.has(mediaType)) return parseYaml(text);
  if (mediaType === PROTOBUF_MEDIA_TYPE) return parseProtobuf(body);
  throw apiErrors.unsupportedMediaType(
    `the content type "${mediaType}" is not supported: send application/json, application/yaml or ${PROTOBUF_MEDIA_TYPE}`,
  );
}


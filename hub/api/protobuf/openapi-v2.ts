/**
 * `/openapi/v2` as protobuf (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`), the form
 * client-go's `OpenAPISchema()` asks for (kubectl before 1.27 for apply, explain and validation): the
 * gnostic `openapi.v2.Document` message (github.com/google/gnostic-models openapiv2/OpenAPIv2.proto,
 * Apache-2.0, see NOTICE), with the subset of its messages and field numbers a Swagger 2.0 document of
 * Drover's needs: swagger, info, definitions (Schema with $ref, type, format, description, required,
 * enum, default, items, properties, additionalProperties, allOf and the `x-` vendor extensions, each
 * an `Any` whose `yaml` is the value's JSON) and the paths with their operations' ids, tags and vendor
 * extensions (parameters and responses are left out: no client reads them from here).
 */
import protobuf from 'protobufjs';

export const OPENAPI_V2_PROTOBUF_MEDIA_TYPE = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

const OPENAPI_V2_PROTO = `
syntax = "proto3";
package openapi.v2;
message Any { string yaml = 2; }
message NamedAny { string name = 1; Any value = 2; }
message Info { string title = 1; string version = 2; string description = 3; }
message Document {
  string swagger = 1; Info info = 2; repeated string schemes = 5; repeated string consumes = 6; repeated string produces = 7;
  Paths paths = 8; Definitions definitions = 9; repeated NamedAny vendor_extension = 16;
}
message Definitions { repeated NamedSchema additional_properties = 1; }
message NamedSchema { string name = 1; Schema value = 2; }
message Properties { repeated NamedSchema additional_properties = 1; }
message AdditionalPropertiesItem { oneof oneof { Schema schema = 1; bool boolean = 2; } }
message TypeItem { repeated string value = 1; }
message ItemsItem { repeated Schema schema = 1; }
message Schema {
  string _ref = 1; string format = 2; string title = 3; string description = 4; Any default = 5;
  double maximum = 7; double minimum = 9; int64 max_length = 11; int64 min_length = 12; string pattern = 13;
  int64 max_items = 14; int64 min_items = 15; bool unique_items = 16; repeated string required = 19; repeated Any enum = 20;
  AdditionalPropertiesItem additional_properties = 21; TypeItem type = 22; ItemsItem items = 23; repeated Schema all_of = 24;
  Properties properties = 25; bool read_only = 27; repeated NamedAny vendor_extension = 31;
}
message Paths { repeated NamedAny vendor_extension = 1; repeated NamedPathItem path = 2; }
message NamedPathItem { string name = 1; PathItem value = 2; }
message PathItem {
  string _ref = 1; Operation get = 2; Operation put = 3; Operation post = 4; Operation delete = 5; Operation options = 6;
  Operation head = 7; Operation patch = 8; repeated NamedAny vendor_extension = 10;
}
message Operation {
  repeated string tags = 1; string summary = 2; string description = 3; string operation_id = 5;
  repeated string produces = 6; repeated string consumes = 7; repeated string schemes = 10; bool deprecated = 11;
  repeated NamedAny vendor_extension = 13;
}
`;

type Json = Record<string, unknown>;

const root = protobuf.parse(OPENAPI_V2_PROTO, { keepCase: true }).root;
export const OpenApiV2Document = root.lookupType('openapi.v2.Document');

const any = (v: unknown) => ({ yaml: JSON.stringify(v) });
const extensions = (o: Json) =>
  Object.entries(o)
    .filter(([k]) => k.startsWith('x-'))
    .map(([name, v]) => ({ name, value: any(v) }));
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

function schema(s: Json): Json {
  const out: Json = {};
  const str = (from: string, to = from) => {
    if (typeof s[from] === 'string') out[to] = s[from];
  };
  str('$ref', '_ref');
  str('format');
  str('title');
  str('description');
  str('pattern');
  for (const [from, to] of [['maximum', 'maximum'], ['minimum', 'minimum'], ['maxLength', 'max_length'], ['minLength', 'min_length'], ['maxItems', 'max_items'], ['minItems', 'min_items']] as const) {
    if (typeof s[from] === 'number') out[to] = s[from];
  }
  if (s.uniqueItems === true) out.unique_items = true;
  if (s.readOnly === true) out.read_only = true;
  if ('default' in s) out.default = any(s.default);
  if (Array.isArray(s.required)) out.required = s.required.filter((r) => typeof r === 'string');
  if (Array.isArray(s.enum)) out.enum = s.enum.map(any);
  if (typeof s.type === 'string') out.type = { value: [s.type] };
  else if (Array.isArray(s.type)) {
    // kubectl's schema reader takes one type: a nullable field (["string","null"]) is its type
    // one of a string and a number (a Quantity, an IntOrString) is Kubernetes' `string` of format int-or-string
    const types = s.type.filter((t) => t !== 'null');
    if (types.length === 1) out.type = { value: types };
    else if (types.includes('string')) {
      out.type = { value: ['string'] };
      out.format ??= 'int-or-string';
    } else if (types.length > 0) out.type = { value: [types[0]] };
  }
  const items = obj(s.items);
  if (items) out.items = { schema: [schema(items)] };
  if (Array.isArray(s.allOf)) out.all_of = s.allOf.map((a) => schema(obj(a) ?? {}));
  const props = obj(s.properties);
  if (props) out.properties = { additional_properties: Object.entries(props).map(([name, v]) => ({ name, value: schema(obj(v) ?? {}) })) };
  if (typeof s.additionalProperties === 'boolean') out.additional_properties = { boolean: s.additionalProperties };
  else if (obj(s.additionalProperties)) out.additional_properties = { schema: schema(obj(s.additionalProperties)!) };
  const ext = extensions(s);
  if (ext.length) out.vendor_extension = ext;
  return out;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

function operation(o: Json): Json {
  const out: Json = { vendor_extension: extensions(o) };
  for (const k of ['tags', 'produces', 'consumes', 'schemes'] as const) if (Array.isArray(o[k])) out[k] = o[k];
  if (typeof o.description === 'string') out.description = o.description;
  if (typeof o.operationId === 'string') out.operation_id = o.operationId;
  return out;
}

/** The protobuf encoding of a Swagger 2.0 document (its subset above). */
export function encodeOpenApiV2(doc: Json): Buffer {
  const info = obj(doc.info) ?? {};
  const paths = obj(doc.paths) ?? {};
  const definitions = obj(doc.definitions) ?? {};
  const message = {
    swagger: doc.swagger,
    info: { title: info.title, version: info.version },
    paths: {
      path: Object.entries(paths).map(([name, item]) => {
        const p = obj(item) ?? {};
        const value: Json = { vendor_extension: extensions(p) };
        for (const m of METHODS) if (obj(p[m])) value[m] = operation(obj(p[m])!);
        return { name, value };
      }),
    },
    definitions: { additional_properties: Object.entries(definitions).map(([name, s]) => ({ name, value: schema(obj(s) ?? {}) })) },
  };
  const err = OpenApiV2Document.verify(message);
  if (err) throw new Error(`OpenAPI v2 document does not fit openapi.v2.Document: ${err}`);
  return Buffer.from(OpenApiV2Document.encode(OpenApiV2Document.fromObject(message)).finish());
}

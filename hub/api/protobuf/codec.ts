/**
 * Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf) for the kinds Drover serves:
 * the 4-byte magic "k8s\0", then a runtime.Unknown holding typeMeta (apiVersion, kind) and the raw
 * bytes of the typed message. A body decodes to the same object its JSON would be (JSON field names,
 * Time and MicroTime as RFC 3339, Quantity as a string, IntOrString as a number or a string, bytes as
 * base64, Go's omitted zero values omitted), which the caller validates with the same schemas.
 */
import protobuf from 'protobufjs';
import { KUBERNETES_PROTO } from './schema.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** A malformed protobuf body or one of a kind Drover does not read; `message` says what is wrong. */
export class ProtobufBodyError extends Error {
  constructor(
    message: string,
    readonly unsupportedKind = false,
  ) {
    super(message);
    this.name = 'ProtobufBodyError';
  }
}

/** apiVersion/kind -> message name in schema.ts. DeleteOptions comes with any apiVersion (meta.k8s.io/v1, v1, the resource's own). */
const MESSAGES: Record<string, string> = {
  'v1/Namespace': 'Namespace',
  'v1/Node': 'Node',
  'v1/Pod': 'Pod',
  'v1/Event': 'Event',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/Service': 'Service',
  'v1/Endpoints': 'Endpoints',
  'apps/v1/Deployment': 'Deployment',
  'apps/v1/ReplicaSet': 'ReplicaSet',
  'apps/v1/DaemonSet': 'DaemonSet',
  'policy/v1/Eviction': 'Eviction',
  'policy/v1beta1/Eviction': 'Eviction',
  'policy/v1/PodDisruptionBudget': 'PodDisruptionBudget',
  'batch/v1/Job': 'Job',
  'batch/v1/CronJob': 'CronJob',
  'v1/PersistentVolumeClaim': 'PersistentVolumeClaim',
  'v1/PersistentVolume': 'PersistentVolume',
  'storage.k8s.io/v1/StorageClass': 'StorageClass',
  'v1/Status': 'Status',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
};
/** Kinds that have no list. */
const LISTLESS = new Set(['Eviction', 'Status', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview']);
// every kind's list: PodList, DeploymentList, ...
for (const [key, name] of Object.entries(MESSAGES)) if (!LISTLESS.has(name)) MESSAGES[`${key}List`] = `${name}List`;

/** Whether encodeKubernetesProtobuf has a message for this object's apiVersion and kind. */
export function hasProtobufMessage(object: unknown): boolean {
  if (typeof object !== 'object' || object === null) return false;
  const o = object as { apiVersion?: unknown; kind?: unknown };
  return o.kind === 'DeleteOptions' || Object.hasOwn(MESSAGES, `${String(o.apiVersion)}/${String(o.kind)}`);
}

/**
 * Fields whose zero value ("", 0, false) is kept: Go pointers (an explicit 0 or false means something,
 * e.g. replicas 0, gracePeriodSeconds 0) and fields Kubernetes' JSON never omits. Every other scalar
 * field at its zero value is dropped, as the JSON encoder's omitempty does.
 */
const KEEP_ZERO: Record<string, readonly string[]> = {
  ObjectMeta: ['deletionGracePeriodSeconds'],
  ListMeta: ['remainingItemCount'],
  OwnerReference: ['controller', 'blockOwnerDeletion'],
  DeleteOptions: ['gracePeriodSeconds', 'orphanDependents'],
  ConfigMap: ['immutable'],
  Secret: ['immutable'],
  ConfigMapKeySelector: ['optional'],
  SecretKeySelector: ['optional'],
  ConfigMapEnvSource: ['optional'],
  SecretEnvSource: ['optional'],
  SecretVolumeSource: ['defaultMode', 'optional'],
  ConfigMapVolumeSource: ['defaultMode', 'optional'],
  KeyToPath: ['mode'],
  Probe: ['terminationGracePeriodSeconds'],
  PodSpec: ['terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'automountServiceAccountToken', 'priority', 'enableServiceLinks', 'shareProcessNamespace', 'setHostnameAsFQDN', 'hostUsers'],
  Toleration: ['tolerationSeconds'],
  SecurityContext: ['privileged', 'runAsUser', 'runAsNonRoot', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation', 'runAsGroup', 'procMount'],
  PodSecurityContext: ['runAsUser', 'runAsNonRoot', 'fsGroup', 'runAsGroup', 'fsGroupChangePolicy', 'supplementalGroupsPolicy', 'seLinuxChangePolicy'],
  SeccompProfile: ['localhostProfile'],
  ContainerStatus: ['ready', 'restartCount', 'started'],
  ContainerStateTerminated: ['exitCode'],
  ServiceSpec: ['allocateLoadBalancerNodePorts'],
  DeploymentSpec: ['replicas', 'revisionHistoryLimit', 'progressDeadlineSeconds'],
  ReplicaSetSpec: ['replicas'],
  DaemonSetSpec: ['revisionHistoryLimit'],
  JobSpec: ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'manualSelector', 'suspend'],
  CronJobSpec: ['startingDeadlineSeconds', 'suspend', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'],
  JobStatus: ['ready', 'terminating'],
  StorageClass: ['allowVolumeExpansion'],
  Event: ['count'],
  // json:"allowed" and json:"incomplete", no omitempty: a protobuf-only client reads a "no" back as false
  SubjectAccessReviewStatus: ['allowed'],
  SubjectRulesReviewStatus: ['incomplete'],
};

/** Embedded Go structs: their fields appear in the parent's JSON object (`json:",inline"`). */
const INLINE: Record<string, readonly string[]> = {
  Volume: ['volumeSource'],
  PersistentVolumeSpec: ['persistentVolumeSource'],
  Probe: ['handler'],
  ConfigMapKeySelector: ['localObjectReference'],
  SecretKeySelector: ['localObjectReference'],
  ConfigMapEnvSource: ['localObjectReference'],
  SecretEnvSource: ['localObjectReference'],
  ConfigMapVolumeSource: ['localObjectReference'],
};

let root: protobuf.Root | undefined;
const types = new Map<string, protobuf.Type>();
/** The schema, parsed and resolved once (on the first protobuf body or answer). */
function messageType(name: string): protobuf.Type {
  let type = types.get(name);
  if (!type) {
    if (!root) {
      root = protobuf.parse(KUBERNETES_PROTO, { keepCase: true }).root;
      root.resolveAll();
    }
    type = root.lookupType(`drover.k8s.${name}`);
    types.set(name, type);
  }
  return type;
}

/** protobufjs hands int64 fields over as Long objects (the long package is installed) or numbers. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 'toNumber' in value) return (value as { toNumber(): number }).toNumber();
  return Number(value);
}

/**
 * metav1.Time: RFC 3339 to the second, or to the millisecond when it has a fraction (Drover's own
 * timestamps, protocol/time.ts, keep milliseconds); MicroTime: to the microsecond. The zero time is
 * omitted (Go marshals it as null).
 */
function timeToJson(msg: Record<string, unknown>, micro: boolean): string | undefined {
  const seconds = toNumber(msg.seconds ?? 0);
  const nanos = toNumber(msg.nanos ?? 0);
  if (seconds === 0 && nanos === 0) return undefined;
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (micro) return `${whole}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
  return nanos === 0 ? `${whole}Z` : `${whole}.${String(Math.floor(nanos / 1_000_000)).padStart(3, '0')}Z`;
}

function isZero(value: unknown): boolean {
  return value === '' || value === false || value === 0 || (typeof value === 'object' && value !== null && 'isZero' in value && (value as { isZero(): boolean }).isZero());
}

function scalarToJson(field: protobuf.Field, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (field.type === 'int64' || field.type === 'uint64' || field.type === 'sint64' || field.type === 'fixed64' || field.type === 'sfixed64') return toNumber(value);
  return value;
}

/** One message (already decoded by protobufjs) as Kubernetes' JSON; undefined when it has no JSON value (a zero Time). */
function messageToJson(type: protobuf.Type, msg: Record<string, unknown>): unknown {
  switch (type.name) {
    case 'Time':
      return timeToJson(msg, false);
    case 'MicroTime':
      return timeToJson(msg, true);
    case 'Quantity':
      return msg.string ?? '';
    case 'IntOrString':
      return toNumber(msg.type ?? 0) === 1 ? (msg.strVal ?? '') : toNumber(msg.intVal ?? 0);
    case 'FieldsV1':
      // metav1.FieldsV1: the JSON of the field set, as bytes
      return msg.Raw instanceof Uint8Array && msg.Raw.length > 0 ? (JSON.parse(Buffer.from(msg.Raw).toString('utf8')) as unknown) : {};
    default:
      break;
  }
  const out: Record<string, unknown> = {};
  const keepZero = KEEP_ZERO[type.name] ?? [];
  const inline = INLINE[type.name] ?? [];
  for (const field of type.fieldsArray) {
    if (!Object.hasOwn(msg, field.name)) continue;
    const value = valueToJson(field, msg[field.name], keepZero.includes(field.name));
    if (value === undefined) continue;
    if (inline.includes(field.name) && typeof value === 'object' && value !== null) Object.assign(out, value);
    else out[field.name] = value;
  }
  return out;
}

function valueToJson(field: protobuf.Field, value: unknown, keepZero: boolean): unknown {
  const type = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
  const one = (v: unknown): unknown => (type ? messageToJson(type, v as Record<string, unknown>) : scalarToJson(field, v));
  if (field.map) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return undefined;
    return Object.fromEntries(entries.map(([k, v]) => [k, one(v)]).filter(([, v]) => v !== undefined));
  }
  if (field.repeated) {
    const items = value as unknown[];
    return items.length === 0 ? undefined : items.map(one);
  }
  if (!type && !keepZero && isZero(value)) return undefined;
  return one(value);
}

export interface DecodedProtobuf {
  apiVersion: string;
  kind: string;
  /** The object as its JSON would be, with apiVersion and kind. */
  object: Record<string, unknown>;
}

/** Decode a Kubernetes protobuf body; ProtobufBodyError says what is wrong with a malformed one. */
export function decodeKubernetesProtobuf(body: Buffer): DecodedProtobuf {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ProtobufBodyError('the body does not start with the Kubernetes protobuf prefix "k8s\\x00"');
  }
  let unknown: { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array; contentEncoding?: string };
  try {
    unknown = messageType('Unknown').decode(body.subarray(MAGIC.length)) as typeof unknown;
  } catch (err) {
    throw new ProtobufBodyError(`the runtime.Unknown envelope is malformed: ${(err as Error).message}`);
  }
  const apiVersion = unknown.typeMeta?.apiVersion ?? '';
  const kind = unknown.typeMeta?.kind ?? '';
  if (!kind) throw new ProtobufBodyError('the runtime.Unknown envelope has no typeMeta.kind');
  if (unknown.contentEncoding) throw new ProtobufBodyError(`contentEncoding "${unknown.contentEncoding}" is not supported (send the message unencoded)`);
  const name = kind === 'DeleteOptions' ? 'DeleteOptions' : MESSAGES[`${apiVersion}/${kind}`];
  if (!name) {
    throw new ProtobufBodyError(`protobuf bodies of ${apiVersion ? `${apiVersion}, ` : ''}Kind=${kind} are not read by Drover: send it as JSON or YAML`, true);
  }
  const type = messageType(name);
  let decoded: Record<string, unknown>;
  try {
    decoded = type.decode(unknown.raw ?? new Uint8Array()) as unknown as Record<string, unknown>;
  } catch (err) {
    throw new ProtobufBodyError(`the ${kind} message is malformed: ${(err as Error).message}`);
  }
  let converted: Record<string, unknown>;
  try {
    converted = messageToJson(type, decoded) as Record<string, unknown>;
  } catch (err) {
    // a message nested deeper than the stack allows (a hostile body), or a value of the wrong shape
    throw new ProtobufBodyError(`the ${kind} message cannot be read: ${(err as Error).message}`);
  }
  return { apiVersion, kind, object: { apiVersion, kind, ...converted } };
}

/**
 * Encode an object (a kind, its list or a Status) as Kubernetes protobuf, as kube-apiserver answers a
 * client that accepts only protobuf: the inverse of decodeKubernetesProtobuf for the fields the schema
 * lists (Drover's own extra fields, such as a Node's status.usage, have no field number and are left out).
 */
export function encodeKubernetesProtobuf(object: Record<string, unknown>): Buffer {
  const apiVersion = String(object.apiVersion ?? '');
  const kind = String(object.kind ?? '');
  const name = kind === 'DeleteOptions' ? 'DeleteOptions' : MESSAGES[`${apiVersion}/${kind}`];
  if (!name) throw new ProtobufBodyError(`no protobuf message for ${apiVersion}, Kind=${kind}`, true);
  const type = messageType(name);
  const raw = type.encode(type.fromObject(jsonToMessage(type, object) as Record<string, unknown>)).finish();
  const envelope = messageType('Unknown');
  const bytes = envelope.encode(envelope.fromObject({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' })).finish();
  return Buffer.concat([MAGIC, bytes]);
}

function timeFromJson(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  const micros = /\.(\d{1,9})Z$/.exec(value)?.[1];
  return { seconds: Math.floor(ms / 1000), nanos: micros ? Number(micros.padEnd(9, '0')) : 0 };
}

function jsonToMessage(type: protobuf.Type, json: unknown): unknown {
  switch (type.name) {
    case 'Time':
    case 'MicroTime':
      return timeFromJson(json);
    case 'Quantity':
      return { string: String(json) };
    case 'IntOrString':
      return typeof json === 'number' ? { type: 0, intVal: json } : { type: 1, strVal: String(json) };
    case 'FieldsV1':
      return { Raw: Buffer.from(JSON.stringify(json ?? {}), 'utf8') };
    default:
      break;
  }
  const src = json as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const inline = INLINE[type.name] ?? [];
  for (const field of type.fieldsArray) {
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (inline.includes(field.name) && sub) {
      out[field.name] = jsonToMessage(sub, src);
      continue;
    }
    const value = src[field.name];
    if (value === undefined || value === null) continue;
    const one = (v: unknown): unknown => (sub ? jsonToMessage(sub, v) : field.type === 'bytes' ? Buffer.from(String(v), 'base64') : v);
    if (field.map) out[field.name] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, one(v)]));
    else if (field.repeated) out[field.name] = (value as unknown[]).map(one);
    else out[field.name] = one(value);
  }
  return out;
}

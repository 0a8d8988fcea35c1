import { z } from 'zod';
import { MessageError } from './errors.js';
import { nodeStatusSchema, nodeUsageSchema } from './objects/node.js';
import { podSchema, podStatusSchema } from './objects/pod.js';
import { labelsSchema } from './objects/meta.js';
import { MAX_DESIRED_SET_PARTS } from './topics.js';
import { podUsageReportSchema } from './pod-usage.js';

/**
 * Every MQTT payload is JSON in a versioned envelope: { v: 1, type, sentAt, ... }.
 * `type` discriminates the union; each topic accepts exactly one type.
 */
export const PROTOCOL_VERSION = 1;
/** Default refusal size for one payload (bytes). The broker enforces it too. */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

const envelope = { v: z.literal(PROTOCOL_VERSION), sentAt: z.string() };

/** Agent -> hub, on nodes/NODE/status: the node's facts, on connect, when they change and every 60 s (heartbeats in between). */
export const nodeStatusMessageSchema = z.strictObject({
  ...envelope,
  type: z.literal('nodeStatus'),
  /** Labels the agent derives from its facts (kubernetes.io/arch, ...). */
  labels: labelsSchema.optional(),
  status: nodeStatusSchema,
  /** Where the agent keeps local-path volumes (`<data dir>/volumes`); the hub provisions them there. */
  volumeDir: z.string().startsWith('/', 'must be an absolute path').max(4096).optional(),
  /** The node's end of the pod overlay, once it has one: its VXLAN device's MAC (the hub tells the other nodes). */
  network: z.strictObject({ vtepMAC: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, 'must be a MAC address such as 0a:58:0a:2a:01:00') }).optional(),
});
export type NodeStatusMessage = z.infer<typeof nodeStatusMessageSchema>;

/**
 * Agent -> hub, on nodes/NODE/heartbeat (QoS 0, not retained), every status interval: "still here",
 * with live usage. The full nodeStatus goes only when it changed, on connect and at a slow refresh,
 * as the kubelet renews its Lease often and posts its status seldom; heartbeats never write the store.
 */
export const nodeHeartbeatMessageSchema = z.strictObject({
  ...envelope,
  type: z.literal('heartbeat'),
  usage: nodeUsageSchema.optional(),
  /** Per-pod CPU and memory from the runtime's cgroups (protocol/pod-usage.ts); the hub keeps it in memory for metrics.k8s.io. */
  podUsage: podUsageReportSchema.optional(),
});
export type NodeHeartbeatMessage = z.infer<typeof nodeHeartbeatMessageSchema>;

export const podStatusEntrySchema = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  uid: z.string(),
  status: podStatusSchema,
});
export type PodStatusEntry = z.infer<typeof podStatusEntrySchema>;

/** At most this many events ride in one pod status message; the agent sends the rest in the next. */
export const MAX_EVENTS_PER_MESSAGE = 100;

/**
 * An event the agent saw happen to a pod (Pulling, Started, Unhealthy, BackOff, ...), in Kubernetes'
 * words. `count` is how many times it happened since the agent last sent it (repeats are folded).
 */
export const podEventSchema = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  uid: z.string(),
  /** The part of the pod it is about, e.g. `spec.containers{web}`. */
  fieldPath: z.string().optional(),
  type: z.enum(['Normal', 'Warning']),
  reason: z.string().min(1).max(128),
  message: z.string().max(4096),
  count: z.number().int().min(1),
  firstTimestamp: z.string(),
  lastTimestamp: z.string(),
});
export type PodEvent = z.infer<typeof podEventSchema>;

/**
 * Agent -> hub, on nodes/NODE/pods: the status of pods on the node. `full` means the list is every
 * pod the agent runs (a resync); otherwise only the pods that changed. `events` carries what happened
 * to pods since the last message (at most MAX_EVENTS_PER_MESSAGE).
 */
export const podStatusMessageSchema = z.strictObject({
  ...envelope,
  type: z.literal('podStatus'),
  /** The generation of the desired set the agent is working from. */
  generation: z.number().int().min(0),
  full: z.boolean(),
  pods: z.array(podStatusEntrySchema),
  events: z.array(podEventSchema).max(MAX_EVENTS_PER_MESSAGE).optional(),
});
export type PodStatusMessage = z.infer<typeof podStatusMessageSchema>;

/** Agent -> hub, on nodes/NODE/presence (retained; the offline form is the last will). */
export const presenceMessageSchema = z.strictObject({
  ...envelope,
  type: z.literal('presence'),
  state: z.enum(['online', 'offline']),
  agentVersion: z.string().optional(),
});
export type PresenceMessage = z.infer<typeof presenceMessageSchema>;

/** A ConfigMap or Secret payload sent with a desired set: only those the node's pods use. */
export const configDataSchema = z.strictObject({
  kind: z.enum(['ConfigMap', 'Secret']),
  namespace: z.string(),
  name: z.string(),
  /** Values base64-encoded (binary-safe for both kinds). */
  data: z.record(z.string(), z.string()),
});
export type ConfigData = z.infer<typeof configDataSchema>;

/**
 * A claim of the node's pods and the volume it is bound to, sent with a desired set: only those the
 * node's pods use. `managed` volumes are the local-path provisioner's: the agent keeps them at
 * `<data dir>/volumes/<volume>` (and creates the directory); others are an admin's `local` (must exist)
 * or `hostPath` (checked or created by `hostPathType`, as a pod's hostPath volume) directories at `path`.
 */
export const claimVolumeSchema = z.strictObject({
  namespace: z.string(),
  claim: z.string(),
  volume: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a PersistentVolume name'),
  path: z.string().startsWith('/', 'must be an absolute path'),
  managed: z.boolean().optional(),
  hostPathType: z.enum(['', 'DirectoryOrCreate', 'Directory']).optional(),
});
export type ClaimVolume = z.infer<typeof claimVolumeSchema>;

export { MAX_DESIRED_SET_PARTS };
/** The largest whole desired set, once its parts are put together (what an agent keeps in desired.json). */
export const MAX_DESIRED_SET_BYTES = MAX_DESIRED_SET_PARTS * MAX_PAYLOAD_BYTES;

/**
 * Hub -> agent, on nodes/NODE/desired (retained): the full set of pods the node should run, with the
 * ConfigMaps/Secrets they use. A set that does not fit in one message (MAX_PAYLOAD_BYTES) comes in `parts`
 * messages of one generation, `part` 0 on nodes/NODE/desired and part K on nodes/NODE/desired/K (topics.ts),
 * each with some of the pods and some of the config; the agent puts all parts of a generation together
 * before it uses any of them. A set in one message has neither field (what agents before parts read).
 */
export const desiredSetMessageSchema = z
  .strictObject({
    ...envelope,
    type: z.literal('desiredSet'),
    node: z.string(),
    generation: z.number().int().min(0),
    part: z.number().int().min(0).max(MAX_DESIRED_SET_PARTS - 1).optional(),
    parts: z.number().int().min(2).max(MAX_DESIRED_SET_PARTS).optional(),
    pods: z.array(podSchema),
    config: z.array(configDataSchema).default([]),
    /** The claims the node's pods mount and their volumes; absent when none do (what agents before volumes read). Every part carries all of them. */
    volumes: z.array(claimVolumeSchema).optional(),
  })
  .check((ctx) => {
    const { part, parts } = ctx.value;
    if ((part === undefined) !== (parts === undefined)) {
      ctx.issues.push({ code: 'custom', path: [part === undefined ? 'part' : 'parts'], message: 'part and parts come together', input: ctx.value });
    } else if (part !== undefined && parts !== undefined && part >= parts) {
      ctx.issues.push({ code: 'custom', path: ['part'], message: `must be less than parts (${parts})`, input: ctx.value });
    }
  });
export type DesiredSetMessage = z.infer<typeof desiredSetMessageSchema>;

/** One peer of the overlay: another node's pod CIDR and how to reach it (VXLAN over its node IP). */
export const networkPeerSchema = z.strictObject({
  node: z.string(),
  podCIDR: z.string(),
  /** The node's underlay address (its first InternalIP): where VXLAN packets for its pods go. */
  nodeIP: z.string(),
  /** The MAC of the node's VXLAN device, as the node reported it; undefined until it has. */
  vtepMAC: z.string().optional(),
});
export type NetworkPeer = z.infer<typeof networkPeerSchema>;

/** One address behind a Service, and the ports it serves (target ports resolved). */
export const networkEndpointSchema = z.strictObject({
  ip: z.string(),
  node: z.string().optional(),
  /** Ready endpoints take new connections; terminating ones only finish theirs. */
  ready: z.boolean(),
  terminating: z.boolean().default(false),
  /** The pod's hostname (headless Services: <hostname>.<svc>.<ns>.svc). */
  hostname: z.string().optional(),
  podName: z.string().optional(),
});
export type NetworkEndpoint = z.infer<typeof networkEndpointSchema>;

export const networkServicePortSchema = z.strictObject({
  name: z.string().optional(),
  protocol: z.enum(['TCP', 'UDP']),
  /** The Service's port (on its cluster IP). */
  port: z.number().int(),
  /** The port on the endpoints (the resolved targetPort). */
  targetPort: z.number().int(),
  nodePort: z.number().int().optional(),
});
export type NetworkServicePort = z.infer<typeof networkServicePortSchema>;

export const networkServiceSchema = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']),
  /** undefined for a headless Service (clusterIP: None): DNS answers with the endpoints themselves. */
  clusterIP: z.string().optional(),
  ports: z.array(networkServicePortSchema),
  sessionAffinity: z.enum(['None', 'ClientIP']).default('None'),
  affinityTimeoutSeconds: z.number().int().optional(),
  endpoints: z.array(networkEndpointSchema),
});
export type NetworkService = z.infer<typeof networkServiceSchema>;

/** What a node's network set says of the node itself, in the whole set (networkSet) and in its own part (nodeNetwork). */
const nodeNetworkFields = {
  node: z.string(),
  generation: z.number().int().min(0),
  /** This node's pod CIDR; undefined until the hub has allocated one. */
  podCIDR: z.string().optional(),
  clusterCIDR: z.string(),
  serviceCIDR: z.string(),
  /** Pods' DNS domain (cluster.local); the node serves cluster DNS on its bridge address, the first of its pod CIDR. */
  clusterDomain: z.string(),
  /** The overlay's MTU (the underlay's less VXLAN's 50 bytes). */
  mtu: z.number().int().min(576),
};

/**
 * Hub -> agent, on nodes/NODE/network (retained, QoS 1): everything the node programs into its own
 * packet path: its pod CIDR, the other nodes' pod CIDRs for the overlay, and the Services with their
 * endpoints for the service proxy and cluster DNS. A channel of its own beside the desired set, so that
 * pods and the network change independently (and agents that predate it never see it).
 */
export const networkSetMessageSchema = z.strictObject({
  ...envelope,
  type: z.literal('networkSet'),
  ...nodeNetworkFields,
  peers: z.array(networkPeerSchema),
  services: z.array(networkServiceSchema),
});
export type NetworkSetMessage = z.infer<typeof networkSetMessageSchema>;

/** Which of the cluster's Services a node programs: all of them when it runs pods, else only those with node ports. */
export const networkServiceScopeSchema = z.enum(['all', 'nodePorts']);
export type NetworkServiceScope = z.infer<typeof networkServiceScopeSchema>;

/**
 * Hub -> agent, on nodes/NODE/network (retained, QoS 1), from hubs that share the cluster's network data:
 * the node's own part of its network set (what networkSet carries but the peers and the Services). The
 * peers and Services come once for the whole cluster, on cluster/network (clusterNetworkDelta) and
 * cluster/network/snapshot (clusterNetworkSnapshot); the agent puts the two together into the set it runs
 * (every peer but itself, the Services `services` says). The topic still accepts a whole networkSet (hubs
 * before this, and tests), which then stands alone.
 */
export const nodeNetworkMessageSchema = z.strictObject({
  ...envelope,
  type: z.literal('nodeNetwork'),
  ...nodeNetworkFields,
  services: networkServiceScopeSchema,
});
export type NodeNetworkMessage = z.infer<typeof nodeNetworkMessageSchema>;

/** A Service's identity in a delta that removes it. */
export const serviceRefSchema = z.strictObject({ namespace: z.string(), name: z.string() });
export type ServiceRef = z.infer<typeof serviceRefSchema>;

/**
 * Hub -> every agent, on cluster/network/snapshot (retained, QoS 1): every overlay peer and every Service
 * with its endpoints at `generation` (a store revision). Published once for the whole cluster (at most
 * every second while things change, and after the last change), read only by a node that (re)syncs: one
 * with no shared data yet, or one that found a gap in the deltas.
 */
export const clusterNetworkSnapshotMessageSchema = z.strictObject({
  ...envelope,
  type: z.literal('clusterNetworkSnapshot'),
  generation: z.number().int().min(0),
  peers: z.array(networkPeerSchema),
  services: z.array(networkServiceSchema),
});
export type ClusterNetworkSnapshotMessage = z.infer<typeof clusterNetworkSnapshotMessageSchema>;

/**
 * Hub -> every agent, on cluster/network (QoS 1; the last one retained): what changed in the shared data
 * from generation `from` to `to`: peers added or updated (whole), peers removed (by node), Services added
 * or updated (whole, with their endpoints), Services removed. Deltas form one chain (each one's `from` is
 * the previous one's `to`); a node applies a delta only from the generation it holds, ignores one it is
 * past (`to` at or below its own), and resyncs from the snapshot at a gap. A delta with from = to changes
 * nothing: the hub's start, telling nodes which generation is current.
 */
export const clusterNetworkDeltaMessageSchema = z
  .strictObject({
    ...envelope,
    type: z.literal('clusterNetworkDelta'),
    from: z.number().int().min(0),
    to: z.number().int().min(0),
    peers: z.array(networkPeerSchema).default([]),
    removedPeers: z.array(z.string()).default([]),
    services: z.array(networkServiceSchema).default([]),
    removedServices: z.array(serviceRefSchema).default([]),
  })
  .check((ctx) => {
    if (ctx.value.to < ctx.value.from) ctx.issues.push({ code: 'custom', path: ['to'], message: 'must not be below from', input: ctx.value });
  });
export type ClusterNetworkDeltaMessage = z.infer<typeof clusterNetworkDeltaMessageSchema>;

/** Hub -> agent, on nodes/NODE/cmd: a request that expects a reply on nodes/NODE/reply/ID. */
export const commandMessageSchema = z.discriminatedUnion('command', [
  z.strictObject({
    ...envelope,
    type: z.literal('command'),
    command: z.literal('logs'),
    requestId: z.string().min(1).max(64),
    namespace: z.string(),
    pod: z.string(),
    container: z.string().optional(),
    tailLines: z.number().int().min(0).optional(),
    previous: z.boolean().optional(),
  }),
  z.strictObject({
    ...envelope,
    type: z.literal('command'),
    command: z.literal('exec'),
    requestId: z.string().min(1).max(64),
    namespace: z.string(),
    pod: z.string(),
    container: z.string().optional(),
    argv: z.array(z.string()).min(1),
    timeoutSeconds: z.number().int().min(1).max(3600).optional(),
  }),
  /** Remove a released local-path volume's directory (Delete reclaim policy); refused while a pod of the node uses it. */
  z.strictObject({
    ...envelope,
    type: z.literal('command'),
    command: z.literal('deleteVolume'),
    requestId: z.string().min(1).max(64),
    volume: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a PersistentVolume name'),
  }),
]);
export type CommandMessage = z.infer<typeof commandMessageSchema>;

/** Agent -> hub, on nodes/NODE/reply/ID. */
export const replyMessageSchema = z.strictObject({
  ...envelope,
  type: z.literal('reply'),
  requestId: z.string(),
  ok: z.boolean(),
  output: z.string().optional(),
  exitCode: z.number().int().optional(),
  error: z.string().optional(),
});
export type ReplyMessage = z.infer<typeof replyMessageSchema>;

/** The kinds of stream the hub opens with an agent (stream-channel.ts carries their bytes). */
export const STREAM_KINDS = ['exec', 'attach', 'logs', 'portForward'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

const streamFrameBase = { ...envelope, type: z.literal('stream'), stream: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), seq: z.number().int().min(0) };

/**
 * One frame of a stream, both ways: hub -> agent on nodes/NODE/streams (every stream of the node),
 * agent -> hub on nodes/NODE/stream/ID. `seq` counts each side's frames of the stream from 0 (open is
 * the hub's 0): a gap means a frame was lost (a quota drop, a reconnect) and ends the stream. `data`
 * is base64 on a numbered channel (the channel numbers of v5.channel.k8s.io: 0 stdin, 1 stdout,
 * 2 stderr; logs and port-forward use 1). `ack` returns flow-control credit, in data bytes.
 */
export const streamFrameSchema = z.discriminatedUnion('op', [
  z.strictObject({
    ...streamFrameBase,
    op: z.literal('open'),
    kind: z.enum(STREAM_KINDS),
    namespace: z.string(),
    pod: z.string(),
    container: z.string().optional(),
    /** Data bytes the opener may receive before its first ack (the agent's send window). */
    window: z.number().int().min(1024).max(16 * 1024 * 1024),
    /** exec */
    argv: z.array(z.string()).min(1).optional(),
    stdin: z.boolean().optional(),
    tty: z.boolean().optional(),
    /** The terminal's size when the stream opened (a TTY). */
    width: z.number().int().min(1).max(65535).optional(),
    height: z.number().int().min(1).max(65535).optional(),
    /** logs */
    follow: z.boolean().optional(),
    tailLines: z.number().int().min(0).optional(),
    sinceTime: z.string().optional(),
    timestamps: z.boolean().optional(),
    previous: z.boolean().optional(),
    limitBytes: z.number().int().min(1).optional(),
    /** portForward */
    port: z.number().int().min(1).max(65535).optional(),
  }),
  /** Agent -> hub: the stream is open (the process started, the file is open, the port answered). */
  z.strictObject({ ...streamFrameBase, op: z.literal('ready'), window: z.number().int().min(1024).max(16 * 1024 * 1024) }),
  z.strictObject({ ...streamFrameBase, op: z.literal('data'), channel: z.number().int().min(0).max(254), data: z.string() }),
  z.strictObject({ ...streamFrameBase, op: z.literal('ack'), bytes: z.number().int().min(1) }),
  /** The end of one channel's input (stdin closed: v5.channel.k8s.io's close frame). */
  z.strictObject({ ...streamFrameBase, op: z.literal('eof'), channel: z.number().int().min(0).max(254) }),
  z.strictObject({ ...streamFrameBase, op: z.literal('resize'), width: z.number().int().min(1).max(65535), height: z.number().int().min(1).max(65535) }),
  /** Either side: the stream is over; the agent says how (exit code of an exec, or why it failed). */
  z.strictObject({ ...streamFrameBase, op: z.literal('close'), exitCode: z.number().int().optional(), error: z.string().optional() }),
]);
export type StreamFrame = z.infer<typeof streamFrameSchema>;

/** Agent -> hub, on join/CLIENT/request, sent with a join token as the MQTT password. */
export const joinRequestMessageSchema = z.strictObject({
  ...envelope,
  type: z.literal('joinRequest'),
  nodeName: z.string(),
  hostname: z.string().optional(),
});
export type JoinRequestMessage = z.infer<typeof joinRequestMessageSchema>;

/** Hub -> agent, on join/CLIENT/reply: the node's own credentials, or why not. */
export const joinReplyMessageSchema = z.discriminatedUnion('ok', [
  z.strictObject({
    ...envelope,
    type: z.literal('joinReply'),
    ok: z.literal(true),
    nodeName: z.string(),
    username: z.string(),
    password: z.string(),
  }),
  z.strictObject({ ...envelope, type: z.literal('joinReply'), ok: z.literal(false), error: z.string() }),
]);
export type JoinReplyMessage = z.infer<typeof joinReplyMessageSchema>;

export type AnyMessage =
  | NodeStatusMessage
  | NodeHeartbeatMessage
  | PodStatusMessage
  | PresenceMessage
  | DesiredSetMessage
  | NetworkSetMessage
  | NodeNetworkMessage
  | ClusterNetworkSnapshotMessage
  | ClusterNetworkDeltaMessage
  | CommandMessage
  | ReplyMessage
  | StreamFrame
  | JoinRequestMessage
  | JoinReplyMessage;

/** Parse and validate a payload; throws MessageError with the reason (never anything else). */
export function decodeMessage<S extends z.ZodType>(schema: S, topic: string, payload: Buffer | string, maxBytes = MAX_PAYLOAD_BYTES): z.infer<S> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > maxBytes) throw new MessageError(topic, `payload of ${size} bytes exceeds the limit of ${maxBytes}`);
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch (err) {
    throw new MessageError(topic, 'payload is not JSON', { cause: err });
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const first = result.error.issues[0]!;
    const path = first.path.map(String).join('.');
    throw new MessageError(topic, `${path ? `${path}: ` : ''}${first.message}`, { cause: result.error });
  }
  return result.data;
}

export function encodeMessage(message: AnyMessage): string {
  return JSON.stringify(message);
}

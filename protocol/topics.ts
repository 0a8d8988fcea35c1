/**
 * MQTT topic layout. Everything lives under one versioned root with one subtree per node:
 *   drover/v1/nodes/NODE/{status,heartbeat,pods,presence,desired,desired/PART,network,cmd,reply/REQUEST,streams,stream/STREAM}
 * (streams: the hub's frames of every open stream of the node, stream/STREAM: the node's frames of one stream;
 * desired/PART: part PART >= 1 of a desired set too large for one message; part 0 is on desired itself)
 * plus what every node reads alike, published once for the whole cluster (the overlay's peers and the
 * Services: deltas on cluster/network, the whole of it retained on cluster/network/snapshot):
 *   drover/v1/cluster/{network,network/snapshot}
 * plus the join exchange, used once with a join token before a node has its own credentials:
 *   drover/v1/join/CLIENT/{request,reply}
 */
export const TOPIC_ROOT = 'drover/v1';

/** Channels a node publishes (up) and reads (down). */
export const NODE_UP_CHANNELS = ['status', 'heartbeat', 'pods', 'presence', 'reply', 'stream'] as const;
export const NODE_DOWN_CHANNELS = ['desired', 'network', 'cmd', 'streams'] as const;
export type NodeUpChannel = (typeof NODE_UP_CHANNELS)[number];
export type NodeDownChannel = (typeof NODE_DOWN_CHANNELS)[number];
export type NodeChannel = NodeUpChannel | NodeDownChannel;

/** The most messages one desired set is split into (desired, desired/1 .. desired/63). */
export const MAX_DESIRED_SET_PARTS = 64;

const NODE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function isValidNodeName(name: string): boolean {
  return name.length <= 63 && NODE_NAME.test(name);
}

const STREAM_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A stream id is one topic level of letters, digits, '-' and '_' (at most 64). */
export function isValidStreamId(id: string): boolean {
  return STREAM_ID.test(id);
}

function assertNodeName(node: string): void {
  if (!isValidNodeName(node)) throw new RangeError(`invalid node name "${node}"`);
}

export const topics = {
  nodeStatus: (node: string) => (assertNodeName(node), `${TOPIC_ROOT}/nodes/${node}/status`),
  nodeHeartbeat: (node: string) => (assertNodeName(node), `${TOPIC_ROOT}/nodes/${node}/heartbeat`),
  nodePods: (node: string) => (assertNodeName(node), `${TOPIC_ROOT}/nodes/${node}/pods`),
  nodePresence: (node: string) => (assertNodeName(node), `${TOPIC_ROOT}/nodes/${node}/presence`),
  nodeDesired: (node: string) => (assertNodeName(node), `${TOPIC_ROOT}/nodes/${node}/desired`),
  /** Part `part` of a desired set split into several messages: part 0 is nodeDesired itself, the others desired/PART. */
  nodeDesiredPart: (node: string, part: number) => {
    assertNodeName(node);
    if (!Number.isInteger(part) || part < 0 || part >= MAX_DESIRED_SET_PARTS) throw new RangeError(`invalid desired set part ${part}`);
    return part === 0 ? `${TOPIC_ROOT}/nodes/${node}/desired` : `${TOPIC_ROOT}/nodes/${node}/desired/${part}`;
  },
  /** How many messages one desired set may take at most. */
  maxDesiredParts: MAX_DESIRED_SET_PARTS,
  nodeNetwork: (node: string) => (assertNodeName(node), `${TOPIC_ROOT}/nodes/${node}/network`),
  nodeCmd: (node: string) => (assertNodeName(node), `${TOPIC_ROOT}/nodes/${node}/cmd`),
  nodeReply: (node: string, requestId: string) => (assertNodeName(node), `${TOPIC_ROOT}/nodes/${node}/reply/${requestId}`),
  /** Hub -> agent: the frames of every stream the hub has open with the node (one topic, so the agent subscribes once). */
  nodeStreams: (node: string) => (assertNodeName(node), `${TOPIC_ROOT}/nodes/${node}/streams`),
  /** Agent -> hub: the node's frames of stream `streamId`. */
  nodeStream: (node: string, streamId: string) => {
    assertNodeName(node);
    if (!isValidStreamId(streamId)) throw new RangeError(`invalid stream id "${streamId}"`);
    return `${TOPIC_ROOT}/nodes/${node}/stream/${streamId}`;
  },
  /** Wildcards the hub subscribes to. */
  allNodesUp: (channel: NodeUpChannel) =>
    channel === 'reply' || channel === 'stream' ? `${TOPIC_ROOT}/nodes/+/${channel}/+` : `${TOPIC_ROOT}/nodes/+/${channel}`,
  /** The cluster's shared network data: deltas (the last one retained), QoS 1; nodes subscribe, only the hub publishes. */
  clusterNetwork: () => `${TOPIC_ROOT}/cluster/network`,
  /** The whole of the shared network data at one generation, retained: what a node (re)syncs from. */
  clusterNetworkSnapshot: () => `${TOPIC_ROOT}/cluster/network/snapshot`,
  joinRequest: (clientId: string) => `${TOPIC_ROOT}/join/${clientId}/request`,
  joinReply: (clientId: string) => `${TOPIC_ROOT}/join/${clientId}/reply`,
  allJoinRequests: () => `${TOPIC_ROOT}/join/+/request`,
} as const;

export type ParsedTopic =
  | { kind: 'node'; node: string; channel: NodeChannel; requestId?: string; part?: number; streamId?: string }
  | { kind: 'join'; clientId: string; channel: 'request' | 'reply' }
  | { kind: 'cluster'; channel: ClusterChannel };

/** The cluster-wide channels (drover/v1/cluster/...): every node may read them, none may publish. */
export const CLUSTER_CHANNELS = ['network', 'network/snapshot'] as const;
export type ClusterChannel = (typeof CLUSTER_CHANNELS)[number];

/** Parse a concrete topic (no wildcards). Returns undefined for anything outside the layout. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== 'drover' || parts[1] !== 'v1') return undefined;
  if (parts[2] === 'nodes' && parts.length >= 5) {
    const node = parts[3]!;
    if (!isValidNodeName(node)) return undefined;
    const channel = parts[4]!;
    if (channel === 'reply') {
      if (parts.length !== 6 || !parts[5]) return undefined;
      return { kind: 'node', node, channel: 'reply', requestId: parts[5] };
    }
    if (channel === 'stream') {
      if (parts.length !== 6 || !isValidStreamId(parts[5]!)) return undefined;
      return { kind: 'node', node, channel: 'stream', streamId: parts[5] };
    }
    if (channel === 'desired' && parts.length === 6) {
      const part = /^[1-9][0-9]?$/.test(parts[5]!) ? Number(parts[5]) : NaN;
      return part < MAX_DESIRED_SET_PARTS ? { kind: 'node', node, channel: 'desired', part } : undefined;
    }
    if (parts.length !== 5) return undefined;
    if ((NODE_UP_CHANNELS as readonly string[]).includes(channel) || (NODE_DOWN_CHANNELS as readonly string[]).includes(channel)) {
      return { kind: 'node', node, channel: channel as NodeChannel };
    }
    return undefined;
  }
  if (parts[2] === 'cluster') {
    const channel = parts.slice(3).join('/');
    return (CLUSTER_CHANNELS as readonly string[]).includes(channel) ? { kind: 'cluster', channel: channel as ClusterChannel } : undefined;
  }
  if (parts[2] === 'join' && parts.length === 5 && parts[3] && (parts[4] === 'request' || parts[4] === 'reply')) {
    return { kind: 'join', clientId: parts[3], channel: parts[4] };
  }
  return undefined;
}

/** Nodes for fleet tests: join one, connect it with its last will, post status, read back what the hub wrote. */
import type { MqttClient } from 'mqtt';
import {
  desiredSetMessageSchema,
  joinReplyMessageSchema,
  type DesiredSetMessage,
  type JoinReplyMessage,
  type NodeStatusMessage,
} from '../../../protocol/messages.js';
import type { Node } from '../../../protocol/objects/node.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { topics } from '../../../protocol/topics.js';
import { eventually } from '../broker/helpers.js';
import { connectTracked, send, type Harness } from './harness.js';

export const sentAt = () => new Date().toISOString();

export function statusMessage(overrides: Partial<NodeStatusMessage['status']> = {}): NodeStatusMessage {
  return {
    v: 1,
    type: 'nodeStatus',
    sentAt: sentAt(),
    labels: { 'kubernetes.io/arch': 'arm64', 'kubernetes.io/os': 'linux', 'example.com/role': 'self-promoted' },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '7Gi', pods: '110' },
      nodeInfo: { architecture: 'arm64', operatingSystem: 'linux', hostname: 'pi-1' },
      addresses: [{ type: 'InternalIP', address: '10.0.0.5' }],
      usage: { cpuPercent: 12.5, memoryUsedBytes: 1_000_000, timestamp: sentAt() },
      ...overrides,
    },
  };
}

export function podObject(name: string, nodeName: string | undefined, image = 'drover.local/busybox:test'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'main', image }] },
  };
}

export const getNode = (h: Harness, name: string) => h.store.get<Node>({ kind: 'Node', namespace: '', name });
export const getPod = (h: Harness, name: string) => h.store.get<Pod>({ kind: 'Pod', namespace: 'default', name });
export const ready = (node: Node | undefined) => node?.status?.conditions?.find((c) => c.type === 'Ready');

export async function requestJoin(h: Harness, clientId: string, token: string, nodeName: string, labels?: Record<string, string>): Promise<JoinReplyMessage> {
  const j = await connectTracked(h, { username: 'join', password: token, clientId });
  const replies: JoinReplyMessage[] = [];
  j.on('message', (_t, payload) => replies.push(joinReplyMessageSchema.parse(JSON.parse(payload.toString()))));
  await j.subscribeAsync(topics.joinReply(clientId), { qos: 1 });
  await send(j, topics.joinRequest(clientId), { v: 1, type: 'joinRequest', sentAt: sentAt(), nodeName, hostname: nodeName, ...(labels ? { labels } : {}) });
  const reply = await eventually(() => replies[0]);
  await j.endAsync();
  return reply;
}

export async function connectNode(h: Harness, name: string, password: string, withWill = true): Promise<MqttClient> {
  return connectTracked(h, {
    username: `node:${name}`,
    password,
    clientId: `node-${name}`,
    ...(withWill
      ? {
          will: {
            topic: topics.nodePresence(name),
            payload: Buffer.from(JSON.stringify({ v: 1, type: 'presence', sentAt: sentAt(), state: 'offline' })),
            qos: 1 as const,
            retain: true,
          },
        }
      : {}),
  });
}

/** Join `name` and connect it as a node that has posted one status. */
export async function enrolledNode(h: Harness, name: string): Promise<{ client: MqttClient; password: string }> {
  h.auth.addJoinToken(`token-for-${name}`);
  const reply = await requestJoin(h, `dev-${name}`, `token-for-${name}`, name);
  if (!reply.ok) throw new Error(reply.error);
  const client = await connectNode(h, name, reply.password);
  await send(client, topics.nodeStatus(name), statusMessage());
  await eventually(async () => ready(await getNode(h, name))?.status === 'True');
  return { client, password: reply.password };
}

export function desiredSets(client: MqttClient): Array<DesiredSetMessage & { retained: boolean }> {
  const got: Array<DesiredSetMessage & { retained: boolean }> = [];
  client.on('message', (topic, payload, packet) => {
    if (topic.endsWith('/desired')) got.push({ ...desiredSetMessageSchema.parse(JSON.parse(payload.toString())), retained: packet.retain });
  });
  return got;
}

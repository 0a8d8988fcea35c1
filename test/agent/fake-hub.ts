/**
 * A plain aedes broker on 127.0.0.1 plus an mqtt client playing the hub's part for the agent's
 * integration tests: it answers join requests, publishes retained desired sets and records what the
 * agent publishes. (The real hub lives in hub/, which the agent's tests do not import.)
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import mqtt from 'mqtt';
import {
  encodeMessage,
  type CommandMessage,
  type DesiredSetMessage,
  type NetworkSetMessage,
  type NodeStatusMessage,
  type PodStatusMessage,
  type PresenceMessage,
  type ReplyMessage,
} from '../../protocol/messages.js';
import { parseTopic, topics } from '../../protocol/topics.js';

const HUB_USER = 'test-hub';
const HUB_PASSWORD = 'hub-secret';

export interface FakeHub {
  url: string;
  port: number;
  tokens: Set<string>;
  /** When set, join requests are answered ok:false with this error. */
  refuseJoinWith: string | undefined;
  /** When false, join requests are not answered at all. */
  answerJoins: boolean;
  /** Issued node passwords by node name; delete one to revoke it. */
  passwords: Map<string, string>;
  nodeStatus: NodeStatusMessage[];
  podStatus: PodStatusMessage[];
  presence: PresenceMessage[];
  replies: ReplyMessage[];
  publishDesired(set: DesiredSetMessage): Promise<void>;
  publishNetwork(set: NetworkSetMessage): Promise<void>;
  sendCommand(node: string, cmd: CommandMessage): Promise<void>;
  /** Close the broker (agents see the connection drop). */
  stopBroker(): Promise<void>;
  /** Start a new broker on the same port (retained messages are gone, as after a hub restart). */
  startBroker(): Promise<void>;
  close(): Promise<void>;
}

/** `host`: the address the broker listens on (default 127.0.0.1; a test's own LAN address for agents in another netns). */
export async function startFakeHub(opts: { host?: string } = {}): Promise<FakeHub> {
  const host = opts.host ?? '127.0.0.1';
  let broker: Aedes;
  let server: Server;
  const sockets = new Set<Socket>();
  let port = 0;

  const hub: FakeHub = {
    url: '',
    port: 0,
    tokens: new Set(['good-token']),
    refuseJoinWith: undefined,
    answerJoins: true,
    passwords: new Map(),
    nodeStatus: [],
    podStatus: [],
    presence: [],
    replies: [],
    async publishDesired(set) {
      await client.publishAsync(topics.nodeDesired(set.node), encodeMessage(set), { qos: 1, retain: true });
    },
    async publishNetwork(set) {
      await client.publishAsync(topics.nodeNetwork(set.node), encodeMessage(set), { qos: 1, retain: true });
    },
    async sendCommand(node, cmd) {
      await client.publishAsync(topics.nodeCmd(node), encodeMessage(cmd), { qos: 0 });
    },
    async stopBroker() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
    startBroker,
    async close() {
      await client.endAsync(true);
      await hub.stopBroker();
    },
  };

  async function startBroker(): Promise<void> {
    broker = await Aedes.createBroker({
      authenticate(_client, username, password, done) {
        const pw = password?.toString() ?? '';
        const ok =
          (username === HUB_USER && pw === HUB_PASSWORD) ||
          (username === 'join' && hub.tokens.has(pw)) ||
          (!!username?.startsWith('node:') && hub.passwords.get(username.slice(5)) === pw);
        if (ok) return done(null, true);
        const err = new Error('bad credentials') as AuthenticateError;
        err.returnCode = 4;
        done(err, false);
      },
    });
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') port = address.port;
    hub.port = port;
    hub.url = `mqtt://${host}:${port}`;
  }

  await startBroker();
  const client = await mqtt.connectAsync(hub.url, { username: HUB_USER, password: HUB_PASSWORD, clientId: 'test-hub', reconnectPeriod: 100 });
  const subscribe = () =>
    client.subscribeAsync([
      topics.allJoinRequests(),
      topics.allNodesUp('status'),
      topics.allNodesUp('pods'),
      topics.allNodesUp('presence'),
      topics.allNodesUp('reply'),
    ]);
  await subscribe();
  client.on('connect', () => void subscribe());
  client.on('message', (topic, payload) => {
    const parsed = parseTopic(topic);
    const body = JSON.parse(payload.toString()) as Record<string, unknown>;
    if (parsed?.kind === 'join' && parsed.channel === 'request') {
      if (!hub.answerJoins) return;
      const nodeName = body.nodeName as string;
      const reply = hub.refuseJoinWith
        ? { v: 1, type: 'joinReply', sentAt: new Date().toISOString(), ok: false, error: hub.refuseJoinWith }
        : { v: 1, type: 'joinReply', sentAt: new Date().toISOString(), ok: true, nodeName, username: `node:${nodeName}`, password: `pw-${nodeName}` };
      if (!hub.refuseJoinWith) hub.passwords.set(nodeName, `pw-${nodeName}`);
      void client.publishAsync(topics.joinReply(parsed.clientId), JSON.stringify(reply), { qos: 1 });
      return;
    }
    if (parsed?.kind !== 'node') return;
    if (parsed.channel === 'status') hub.nodeStatus.push(body as unknown as NodeStatusMessage);
    if (parsed.channel === 'pods') hub.podStatus.push(body as unknown as PodStatusMessage);
    if (parsed.channel === 'presence' && payload.length > 0) hub.presence.push(body as unknown as PresenceMessage);
    if (parsed.channel === 'reply') hub.replies.push(body as unknown as ReplyMessage);
  });
  return hub;
}

/**
 * One simulated node: the agent's link to the hub with a pretend host and pretend pods behind it.
 * Everything that crosses MQTT is the agent's own code (agent/link): the join (`ensureCredentials`:
 * username `join` + token, credentials stored 0600 in the node's data dir, the hub CA pinned for a
 * K10 token over mqtts), the session (`createNodeConnection`: client id node-<name>, username
 * node:<name>, keepalive, last will on the presence topic, desired/cmd subscriptions, reconnects
 * with the jittered back-off), the node status (`buildNodeStatusMessage` from fake facts, sent as
 * heartbeats and full statuses by `createNodeStatusLink`) and the pod status reports
 * (`createPodStatusReporter`: deltas, a full report on connect, every 30 s and when a pod drops out).
 * What is simulated: the facts (fake-facts.ts), the pods (pod-lifecycle.ts) and the commands, which
 * are answered ok:false: there is nothing to read logs from or exec in.
 *
 * Unlike the agent, the desired set is validated and used but not written to disk: a hollow node
 * has no pods to keep running while the hub is away, and 10,000 fsyncs per rollout would measure
 * the disk of the simulator's machine, not the hub. The network data is followed as the agent follows
 * it (its own part on nodes/NODE/network; the shared peers and Services by the agent's
 * cluster-network-sync.ts: deltas on cluster/network, the snapshot at a gap), every message validated,
 * but only generations are kept: 10,000 hollow nodes holding 10,000 peers each would not fit.
 */
import { join } from 'node:path';
import type { Logger } from '../../protocol/logger.js';
import {
  commandMessageSchema,
  decodeMessage,
  desiredSetMessageSchema,
  clusterNetworkDeltaMessageSchema,
  clusterNetworkSnapshotMessageSchema,
  networkSetMessageSchema,
  nodeNetworkMessageSchema,
  type CommandMessage,
  type NodeStatusMessage,
  type ReplyMessage,
} from '../../protocol/messages.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { parseTopic, topics } from '../../protocol/topics.js';
import type { DesiredSet } from '../desired-set.js';
import type { NodeFacts } from '../host/collector.js';
import { createClusterNetworkSync } from '../link/cluster-network-sync.js';
import { createNodeConnection, type NodeConnection } from '../link/connection.js';
import { ensureCredentials, type Credentials, type EnsureCredentialsOptions } from '../link/join.js';
import { AGENT_VERSION, buildNodeStatusMessage } from '../link/node-status.js';
import { createNodeStatusLink } from '../link/node-status-publisher.js';
import { createPodStatusReporter, type PodStatusReporter } from '../link/pod-status-reporter.js';
import { createSimPods, type SimPodCounts, type SimPods } from './pod-lifecycle.js';
import { simPodUsage } from './pod-usage.js';
import { DEFAULT_POD_USAGE_INTERVAL_MS, type PodUsageReport } from '../../protocol/pod-usage.js';

/** What a simulated node answers to `drover logs` / `drover exec`. */
export const SIM_COMMAND_ERROR = 'simulated node: it runs no containers, so there are no logs and nothing to exec in';

export interface SimNodeOptions {
  name: string;
  /** This node's own data dir (credentials.json, ca.crt). */
  dataDir: string;
  hubUrl: string;
  token: string | undefined;
  logger: Logger;
  facts: NodeFacts;
  /** capacity.pods and allocatable.pods. */
  podsCapacity: number;
  hostIP: string;
  podIP: (k: number) => string;
  statusIntervalMs: number;
  statusRefreshMs?: number | undefined;
  runningAfterMs: number;
  stopAfterMs: number;
  clock?: () => number;
  /** [0, 1): reconnect jitter and where in the status interval the node's heartbeats fall. */
  random?: () => number;
  reconnectMinMs?: number | undefined;
  reconnectMaxMs?: number | undefined;
  joinTimeoutMs?: number | undefined;
  fullReportIntervalMs?: number | undefined;
}

export interface SimNode {
  readonly name: string;
  /** Join the hub unless the data dir holds credentials. Throws the agent's join errors. */
  join(): Promise<void>;
  /** Connect (after join) and run until stop(). */
  start(): void;
  /** Presence offline, disconnect (as the agent's SIGTERM). */
  stop(): Promise<void>;
  joined(): boolean;
  isConnected(): boolean;
  /** Resolves at the first connect (presence published, subscriptions made). */
  firstConnect(): Promise<void>;
  /** How many times the session came up. */
  connects(): number;
  pods(): SimPodCounts;
  /** The generations of the network data followed: the node's own part, the shared data (undefined: none yet), and resyncs so far. */
  network(): { part: number | undefined; shared: number | undefined; resyncing: boolean; resyncs: number };
}

export function createSimNode(opts: SimNodeOptions): SimNode {
  const clock = opts.clock ?? Date.now;
  const random = opts.random ?? Math.random;
  const log = opts.logger.child({ node: opts.name });
  let credentials: Credentials | undefined;
  let connection: NodeConnection | undefined;
  let reporter: PodStatusReporter | undefined;
  let simPods: SimPods | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let podUsage: PodUsageReport | undefined;
  let podUsageAt = 0;
  let desired: DesiredSet | undefined;
  let connectCount = 0;
  let networkGeneration: number | undefined;
  let resyncs = 0;
  let resolveFirst: (() => void) | undefined;
  const first = new Promise<void>((resolve) => (resolveFirst = resolve));

  function buildStatus(): NodeStatusMessage {
    const message = buildNodeStatusMessage(opts.facts, opts.name, clock);
    const pods = String(opts.podsCapacity);
    if (message.status.capacity) message.status.capacity.pods = pods;
    if (message.status.allocatable) message.status.allocatable.pods = pods;
    return message;
  }

  function onDesired(topic: string, payload: Buffer): void {
    let set: DesiredSet;
    try {
      set = decodeMessage(desiredSetMessageSchema, topic, payload) as DesiredSet;
    } catch (err) {
      log.warn({ err, topic }, 'dropping a malformed desired set');
      return;
    }
    if (set.node !== opts.name) {
      log.warn({ topic, for: set.node }, 'dropping a desired set meant for another node');
      return;
    }
    if (set.parts !== undefined) {
      // hollow nodes subscribe to the desired topic only: a set too large for one message is not for them
      log.warn({ topic, parts: set.parts }, 'dropping a desired set split into parts (hollow nodes take sets in one message)');
      return;
    }
    if (set.pods.some((p) => !p.metadata.name)) {
      log.warn({ topic }, 'dropping a desired set with a pod without a name');
      return;
    }
    if (desired && set.generation < desired.generation) {
      log.info({ generation: set.generation, current: desired.generation }, 'ignoring an older desired set');
      return;
    }
    desired = set;
    simPods?.setDesired(set);
  }

  /** The node's own network part (or a whole set from an older hub): validated; nothing to program on a hollow node. */
  function onNetwork(topic: string, payload: Buffer): void {
    try {
      const whole = payload.includes('"type":"networkSet"');
      const part = whole ? decodeMessage(networkSetMessageSchema, topic, payload) : decodeMessage(nodeNetworkMessageSchema, topic, payload);
      if (networkGeneration === undefined || part.generation >= networkGeneration) networkGeneration = part.generation;
    } catch (err) {
      log.warn({ err, topic }, 'dropping a malformed network set');
    }
  }

  /** The shared network data, followed by generation only (the snapshot at a gap, as the agent). */
  const sharedNetwork = createClusterNetworkSync({
    handlers: {
      applySnapshot: () => undefined,
      applyDelta: () => undefined,
      resyncing(on) {
        if (on) resyncs++;
        const snapshot = [topics.clusterNetworkSnapshot()];
        if (on) connection?.subscribe(snapshot);
        else connection?.unsubscribe(snapshot);
      },
    },
  });
  function onSharedNetwork(topic: string, payload: Buffer): void {
    try {
      if (topic === topics.clusterNetworkSnapshot()) sharedNetwork.onSnapshot(decodeMessage(clusterNetworkSnapshotMessageSchema, topic, payload));
      else sharedNetwork.onDelta(decodeMessage(clusterNetworkDeltaMessageSchema, topic, payload));
    } catch (err) {
      log.warn({ err, topic }, 'dropping malformed shared network data');
    }
  }

  async function onCommand(topic: string, payload: Buffer): Promise<void> {
    let cmd: CommandMessage;
    try {
      cmd = decodeMessage(commandMessageSchema, topic, payload);
    } catch (err) {
      log.warn({ err, topic }, 'dropping a malformed command');
      return;
    }
    const reply: ReplyMessage = { v: 1, type: 'reply', sentAt: preciseTimestamp(clock()), requestId: cmd.requestId, ok: false, error: SIM_COMMAND_ERROR };
    await connection?.publish(topics.nodeReply(opts.name, cmd.requestId), reply, { qos: 1 });
  }

  return {
    name: opts.name,
    async join() {
      const credOpts: EnsureCredentialsOptions = { dataDir: opts.dataDir, hubUrl: opts.hubUrl, token: opts.token, nodeName: opts.name, logger: log, clock };
      if (opts.joinTimeoutMs !== undefined) credOpts.joinTimeoutMs = opts.joinTimeoutMs;
      credentials = await ensureCredentials(credOpts);
    },
    start() {
      if (!credentials) throw new Error(`node ${opts.name} has not joined`);
      if (connection) return;
      const name = credentials.nodeName;
      const conn = createNodeConnection({
        credentials,
        logger: log,
        clock,
        random,
        agentVersion: AGENT_VERSION,
        ...(opts.reconnectMinMs === undefined ? {} : { reconnectMinMs: opts.reconnectMinMs }),
        ...(opts.reconnectMaxMs === undefined ? {} : { reconnectMaxMs: opts.reconnectMaxMs }),
      });
      connection = conn;
      const podReporter = createPodStatusReporter({
        publish: (message) => conn.publish(topics.nodePods(name), message, { qos: 1 }),
        isConnected: () => conn.isConnected(),
        logger: log,
        clock,
        ...(opts.fullReportIntervalMs === undefined ? {} : { fullIntervalMs: opts.fullReportIntervalMs }),
      });
      reporter = podReporter;
      simPods = createSimPods({
        hostIP: opts.hostIP,
        podIP: opts.podIP,
        runningAfterMs: opts.runningAfterMs,
        stopAfterMs: opts.stopAfterMs,
        clock,
        onChange: (report) => podReporter.observe(report),
      });
      // the agent reports its (empty) pod set after its first pass, before the hub sends anything
      podReporter.observe(simPods.report());
      const { publisher: nodeStatus, tick: publishNodeStatus } = createNodeStatusLink({
        conn,
        name,
        build: buildStatus,
        clock,
        refreshMs: opts.statusRefreshMs,
        // plausible per-pod usage for metrics.k8s.io, a new sample every 15 s as the agent's (sent once)
        podUsage: () => {
          const now = clock();
          if (!podUsage || now - podUsageAt >= DEFAULT_POD_USAGE_INTERVAL_MS) {
            podUsage = simPodUsage(simPods?.report().pods ?? [], now, Math.max(DEFAULT_POD_USAGE_INTERVAL_MS, opts.statusIntervalMs) / 1000);
            podUsageAt = now;
          }
          return podUsage;
        },
        logger: log,
      });
      conn.onMessage((topic, payload) => {
        const parsed = parseTopic(topic);
        if (parsed?.kind === 'cluster') {
          onSharedNetwork(topic, payload);
          return;
        }
        if (parsed?.kind !== 'node' || parsed.node !== name) {
          log.warn({ topic }, 'message on an unexpected topic dropped');
          return;
        }
        if (parsed.channel === 'desired') onDesired(topic, payload);
        else if (parsed.channel === 'network') onNetwork(topic, payload);
        else if (parsed.channel === 'cmd') onCommand(topic, payload).catch((err: unknown) => log.warn({ err }, 'could not answer a command'));
        else log.warn({ topic }, 'message on an unexpected channel dropped');
      });
      conn.onConnect(() => {
        connectCount++;
        resolveFirst?.();
        resolveFirst = undefined;
        nodeStatus.forceFull();
        void publishNodeStatus();
        void podReporter.sendFull();
      });
      podReporter.start();
      // Devices do not start in step: each node's heartbeats fall at its own point of the interval.
      statusTimer = setTimeout(() => {
        statusTimer = setInterval(() => void publishNodeStatus(), opts.statusIntervalMs);
        void publishNodeStatus();
      }, Math.floor(random() * opts.statusIntervalMs));
      conn.start();
    },
    async stop() {
      if (statusTimer) {
        clearTimeout(statusTimer);
        clearInterval(statusTimer);
      }
      statusTimer = undefined;
      reporter?.stop();
      simPods?.stop();
      await connection?.stop();
    },
    joined: () => credentials !== undefined,
    isConnected: () => connection?.isConnected() ?? false,
    firstConnect: () => first,
    connects: () => connectCount,
    pods: () => simPods?.counts() ?? { desired: 0, pending: 0, running: 0, stopping: 0 },
    network: () => ({ part: networkGeneration, shared: sharedNetwork.generation(), resyncing: sharedNetwork.isResyncing(), resyncs }),
  };
}

/** Where node `name` keeps its credentials under the simulator's data dir. */
export function simNodeDataDir(root: string, name: string): string {
  return join(root, name);
}

/**
 * When the node's status goes up, and in what form. Every interval (5 s) the agent says it is alive:
 * a small heartbeat with live usage. The full nodeStatus (capacity, allocatable, nodeInfo, addresses,
 * images, conditions, labels) goes only when something in it changed, right after every (re)connect,
 * and at the refresh period (60 s) - as the kubelet renews its Lease every 10 s and posts its status
 * on change and every few minutes. A hub with thousands of nodes takes in tiny heartbeats and writes
 * its store only for real changes.
 */
import { isDeepStrictEqual } from 'node:util';
import type { NodeHeartbeatMessage, NodeStatusMessage } from '../../protocol/messages.js';
import type { PodUsageReport } from '../../protocol/pod-usage.js';
import type { Logger } from '../../protocol/logger.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { topics } from '../../protocol/topics.js';
import type { NodeConnection } from './connection.js';

export const DEFAULT_STATUS_REFRESH_MS = 60_000;

export interface NodeStatusPublisherOptions {
  /** The full status as of now. */
  build(): NodeStatusMessage;
  publishStatus(message: NodeStatusMessage): Promise<void>;
  publishHeartbeat(message: NodeHeartbeatMessage): Promise<void>;
  clock: () => number;
  /** A full status goes at least this often (default 60 s). */
  refreshMs?: number;
  /** The pods' last usage sample (agent/pods/pod-usage.ts): the first heartbeat after a new sample carries it, once. */
  podUsage?: () => PodUsageReport | undefined;
}

export interface NodeStatusPublisher {
  /** One tick: a full status if due, else a heartbeat. */
  tick(): Promise<'status' | 'heartbeat'>;
  /** The next tick sends the full status (after a connect). */
  forceFull(): void;
}

/** The status without what changes every time (usage, heartbeat and send times): what counts as a change. */
export function significantPart(message: NodeStatusMessage): unknown {
  const { usage: _usage, conditions, ...status } = message.status;
  return {
    labels: message.labels,
    network: message.network,
    volumeDir: message.volumeDir,
    status,
    conditions: (conditions ?? []).map(({ lastHeartbeatTime: _h, lastTransitionTime: _t, ...c }) => c),
  };
}

export function createNodeStatusPublisher(opts: NodeStatusPublisherOptions): NodeStatusPublisher {
  const refreshMs = opts.refreshMs ?? DEFAULT_STATUS_REFRESH_MS;
  let lastSent: unknown;
  let lastFullAt = Number.NEGATIVE_INFINITY;
  let forced = true;
  let podUsageSentAt: string | undefined;
  return {
    async tick() {
      const message = opts.build();
      const significant = significantPart(message);
      const now = opts.clock();
      if (forced || now - lastFullAt >= refreshMs || !isDeepStrictEqual(significant, lastSent)) {
        await opts.publishStatus(message);
        forced = false;
        lastSent = significant;
        lastFullAt = now;
        return 'status';
      }
      const usage = message.status.usage;
      // a sample goes once (the hub keeps the last): heartbeats between samples stay small
      const sample = opts.podUsage?.();
      const podUsage = sample && sample.timestamp !== podUsageSentAt ? sample : undefined;
      if (podUsage) podUsageSentAt = podUsage.timestamp;
      await opts.publishHeartbeat({ v: 1, type: 'heartbeat', sentAt: preciseTimestamp(now), ...(usage ? { usage } : {}), ...(podUsage ? { podUsage } : {}) });
      return 'heartbeat';
    },
    forceFull() {
      forced = true;
    },
  };
}

/** The part of the hub connection the node status goes out on. */
export type StatusConnection = Pick<NodeConnection, 'isConnected' | 'publish'>;

/**
 * The node's status on its connection: full statuses on nodes/N/status (QoS 1), heartbeats on
 * nodes/N/heartbeat (QoS 0: a lost one costs nothing, the next comes in one interval). `tick` does
 * nothing while disconnected; a tick that fails is logged and the next one sends the full status.
 */
export function createNodeStatusLink(opts: {
  conn: StatusConnection;
  name: string;
  build(): NodeStatusMessage;
  clock: () => number;
  refreshMs?: number | undefined;
  podUsage?: (() => PodUsageReport | undefined) | undefined;
  logger: Logger;
}): { publisher: NodeStatusPublisher; tick(): Promise<void> } {
  const { conn, name } = opts;
  const publisher = createNodeStatusPublisher({
    build: opts.build,
    publishStatus: (message) => conn.publish(topics.nodeStatus(name), message, { qos: 1 }),
    publishHeartbeat: (message) => conn.publish(topics.nodeHeartbeat(name), message, { qos: 0 }),
    clock: opts.clock,
    ...(opts.refreshMs !== undefined ? { refreshMs: opts.refreshMs } : {}),
    ...(opts.podUsage ? { podUsage: opts.podUsage } : {}),
  });
  return {
    publisher,
    async tick() {
      if (!conn.isConnected()) return;
      try {
        await publisher.tick();
      } catch (err) {
        publisher.forceFull();
        opts.logger.warn({ err }, 'could not publish node status');
      }
    },
  };
}

/**
 * A fleet of simulated nodes in one process. Bringing them up is paced: at most `joinConcurrency`
 * nodes are joining or making their first connection at once, so 10,000 nodes join without a
 * stampede. A join that fails (hub unreachable, reply timed out, refused) is tried again after the
 * agent's own reconnect back-off (doubling from 1 s to 30 s, jittered), outside the pacing slots.
 * Once up, a node is on its own: it reconnects with the real back-off after a hub restart, exactly as
 * every device would, so a restart meets the storm a real fleet makes.
 */
import type { Logger } from '../../protocol/logger.js';
import { reconnectDelay, RECONNECT_MAX_MS, RECONNECT_MIN_MS } from '../link/connection.js';
import { fakeFacts, simNodeIP, simPodIP } from './fake-facts.js';
import { simNodeName, type SimOptions } from './options.js';
import { createSimNode, simNodeDataDir, type SimNode } from './sim-node.js';

/** How long a node holds its pacing slot waiting for its first connection. */
export const FIRST_CONNECT_WAIT_MS = 15_000;
/** Nodes stopped at once on a clean shutdown. */
export const STOP_CONCURRENCY = 256;

export type SimFleetOptions = Omit<SimOptions, 'progressIntervalMs' | 'killLike'> & {
  logger: Logger;
  clock?: () => number;
  random?: () => number;
  /** Full pod report period of each node (default the agent's 30 s). */
  fullReportIntervalMs?: number;
};

export interface SimFleetStats {
  nodes: number;
  /** Nodes holding credentials. */
  joined: number;
  /** Nodes whose session is up now. */
  connected: number;
  /** Nodes that have been connected at least once. */
  everConnected: number;
  /** Sessions that came up again after the first (reconnects). */
  reconnects: number;
  /** Join attempts that failed (each is retried). */
  joinFailures: number;
  /** Pods of the nodes' desired sets, and how many of them are Pending / Running; pods being stopped. */
  pods: number;
  pending: number;
  running: number;
  stopping: number;
}

export interface SimFleet {
  readonly nodes: readonly SimNode[];
  /** Start bringing the nodes up (returns at once; watch stats()). */
  start(): void;
  /** Every node that is up: presence offline and disconnect. */
  stop(): Promise<void>;
  stats(): SimFleetStats;
}

export function createSimFleet(opts: SimFleetOptions): SimFleet {
  const log = opts.logger.child({ component: 'sim-fleet' });
  const random = opts.random ?? Math.random;
  const minMs = opts.reconnectMinMs ?? RECONNECT_MIN_MS;
  const maxMs = opts.reconnectMaxMs ?? RECONNECT_MAX_MS;
  const nodes: SimNode[] = [];
  for (let i = 0; i < opts.nodes; i++) {
    const index = opts.startIndex + i;
    const name = simNodeName(opts.namePrefix, index);
    nodes.push(
      createSimNode({
        name,
        dataDir: simNodeDataDir(opts.dataDir, name),
        hubUrl: opts.hubUrl,
        token: opts.token,
        logger: opts.logger,
        facts: fakeFacts({ index, name, cpuCores: opts.cpuCores, memoryBytes: opts.memoryBytes }),
        podsCapacity: opts.podsPerNode,
        hostIP: simNodeIP(index),
        podIP: (k) => simPodIP(index, k),
        statusIntervalMs: opts.statusIntervalMs,
        statusRefreshMs: opts.statusRefreshMs,
        runningAfterMs: opts.runningAfterMs,
        stopAfterMs: opts.stopAfterMs,
        random,
        reconnectMinMs: opts.reconnectMinMs,
        reconnectMaxMs: opts.reconnectMaxMs,
        joinTimeoutMs: opts.joinTimeoutMs,
        fullReportIntervalMs: opts.fullReportIntervalMs,
        ...(opts.clock ? { clock: opts.clock } : {}),
      }),
    );
  }

  const queue: number[] = [];
  const attempts = new Map<number, number>();
  const retryTimers = new Set<NodeJS.Timeout>();
  const failureMessages = new Set<string>();
  let active = 0;
  let joinFailures = 0;
  let stopping = false;

  async function bringUp(i: number): Promise<void> {
    const node = nodes[i]!;
    try {
      await node.join();
    } catch (err) {
      joinFailures++;
      const attempt = attempts.get(i) ?? 0;
      attempts.set(i, attempt + 1);
      const delay = reconnectDelay(attempt, minMs, maxMs, random);
      const message = (err as Error).message;
      if (!failureMessages.has(message)) {
        failureMessages.add(message);
        log.warn({ err, node: node.name }, 'join failed; retrying with back-off (said once per distinct error)');
      } else {
        log.debug({ err, node: node.name, inMs: delay }, 'join failed again');
      }
      const timer = setTimeout(() => {
        retryTimers.delete(timer);
        queue.push(i);
        pump();
      }, delay);
      retryTimers.add(timer);
      return;
    }
    attempts.delete(i);
    if (stopping) return;
    node.start();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([node.firstConnect(), new Promise<void>((resolve) => (timer = setTimeout(resolve, FIRST_CONNECT_WAIT_MS)))]);
    clearTimeout(timer);
  }

  function pump(): void {
    while (!stopping && active < opts.joinConcurrency && queue.length > 0) {
      const i = queue.shift()!;
      active++;
      bringUp(i)
        .catch((err: unknown) => log.error({ err, node: nodes[i]?.name }, 'bringing a node up failed'))
        .finally(() => {
          active--;
          pump();
        });
    }
  }

  return {
    nodes,
    start() {
      for (let i = 0; i < nodes.length; i++) queue.push(i);
      pump();
    },
    async stop() {
      stopping = true;
      queue.length = 0;
      for (const t of retryTimers) clearTimeout(t);
      retryTimers.clear();
      let next = 0;
      const worker = async () => {
        while (next < nodes.length) {
          const node = nodes[next++]!;
          await node.stop().catch((err: unknown) => log.warn({ err, node: node.name }, 'stopping a node failed'));
        }
      };
      await Promise.all(Array.from({ length: Math.min(STOP_CONCURRENCY, nodes.length) }, worker));
    },
    stats() {
      const s: SimFleetStats = { nodes: nodes.length, joined: 0, connected: 0, everConnected: 0, reconnects: 0, joinFailures, pods: 0, pending: 0, running: 0, stopping: 0 };
      for (const node of nodes) {
        if (node.joined()) s.joined++;
        if (node.isConnected()) s.connected++;
        const connects = node.connects();
        if (connects > 0) {
          s.everConnected++;
          s.reconnects += connects - 1;
        }
        const pods = node.pods();
        s.pods += pods.desired;
        s.pending += pods.pending;
        s.running += pods.running;
        s.stopping += pods.stopping;
      }
      return s;
    },
  };
}

/**
 * Node health: the one place that decides a node has stopped answering. A Ready=True node becomes
 * Ready=Unknown (reason NodeStatusUnknown)
 * - at once when its agent goes offline (the lease ends: MQTT last will, or a clean shutdown):
 *   message "agent went offline (last will)" / "agent went offline";
 * - when its lease has not been renewed for `staleAfterMs` (checked every `intervalMs`):
 *   message "status not updated for 16s".
 * The conditions the node itself reported (MemoryPressure, DiskPressure, PIDPressure,
 * NetworkUnavailable) turn Unknown with it, as Kubernetes' node lifecycle controller does: what a
 * silent node last said never stands for what it is now (a node cannot leave a condition behind that
 * never clears). The node comes back to Ready=True with its agent's next status or heartbeat
 * (hub/fleet), its own conditions with its next full status. What follows from Unknown (taints, pods
 * marked not ready, eviction) is controller.ts's job.
 *
 * Leases live in memory (hub/leases); at start every node known to the store gets a fresh lease, as
 * Kubernetes' node controller gives every node a fresh grace period when it starts: after a hub
 * restart the fleet has `staleAfterMs` to reconnect before anyone is marked Unknown (a reconnect storm
 * of thousands of nodes must not taint them all).
 */
import type { Logger } from '../../../protocol/logger.js';
import type { Node } from '../../../protocol/objects/node.js';
import { findCondition, setCondition } from '../../../protocol/conditions.js';
import { preciseTimestamp } from '../../../protocol/time.js';
import { AGENT_NODE_CONDITION_TYPES } from '../../../protocol/well-known.js';
import type { Condition } from '../../../protocol/objects/meta.js';
import type { NodeLease, NodeLeases } from '../../leases/node-leases.js';
import type { ObjectCache } from '../../cache/object-cache.js';
import type { Store } from '../../store/store.js';
import { updateWithRetry } from '../../store/update-with-retry.js';

export const DEFAULT_STATUS_STALE_AFTER_MS = 15_000;
export const DEFAULT_HEALTH_INTERVAL_MS = 1_000;

export interface NodeHealthOptions {
  store: Store;
  /** The shared informer cache (started by the caller): which nodes exist and which are Ready. */
  cache: ObjectCache;
  leases: NodeLeases;
  logger: Logger;
  clock: () => number;
  /** A Ready node not heard from for this long becomes Ready=Unknown (default 15 s, `--node-monitor-grace`). */
  staleAfterMs?: number;
  /** How often to look for stale leases (default 1 s). */
  intervalMs?: number;
}

export interface NodeHealth {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Run one check of every node now; returns the names of the nodes it marked Unknown. */
  check(): Promise<string[]>;
}

/** How long ago the node's Ready=True heartbeat was, or undefined when it is not Ready=True. */
export function heartbeatAgeMs(node: Node, now: number): number | undefined {
  const ready = findCondition(node.status?.conditions, 'Ready');
  if (ready?.status !== 'True') return undefined;
  const beat = Date.parse(ready.lastHeartbeatTime ?? ready.lastTransitionTime ?? '');
  return Number.isNaN(beat) ? Number.POSITIVE_INFINITY : now - beat;
}

/**
 * The conditions of a node that stopped answering: Ready and every condition the node reported
 * itself become Unknown (NodeStatusUnknown, `message`); conditions others set are left alone. Pure.
 */
export function silentNodeConditions(conditions: Condition[] | undefined, message: string, now: string): Condition[] {
  let next = setCondition(conditions, { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message }, now);
  for (const type of AGENT_NODE_CONDITION_TYPES) {
    if (findCondition(next, type)) next = setCondition(next, { type, status: 'Unknown', reason: 'NodeStatusUnknown', message }, now);
  }
  return next;
}

/** Why `lease` means the node is no longer Ready (undefined: it is fine). */
function unhealthyReason(lease: NodeLease, now: number, staleAfterMs: number): string | undefined {
  if (!lease.connected) return lease.endedReason ?? 'agent went offline';
  const age = now - lease.renewTime;
  return age > staleAfterMs ? `status not updated for ${Math.floor(age / 1000)}s` : undefined;
}

export function createNodeHealth(opts: NodeHealthOptions): NodeHealth {
  const { store, cache, leases, clock } = opts;
  const nodes = cache.kind<Node>('Node');
  const staleAfterMs = opts.staleAfterMs ?? DEFAULT_STATUS_STALE_AFTER_MS;
  const intervalMs = opts.intervalMs ?? DEFAULT_HEALTH_INTERVAL_MS;
  const logger = opts.logger.child({ part: 'node-health' });
  let interval: NodeJS.Timeout | undefined;
  let unsubscribeNodes: (() => void) | undefined;
  let unsubscribe: (() => void) | undefined;
  let running: Promise<string[]> | undefined;
  const pending = new Set<Promise<unknown>>();

  /** Write Ready=Unknown unless the node is not Ready=True any more or its lease is healthy again. */
  async function markUnknown(name: string): Promise<boolean> {
    let marked = false;
    await updateWithRetry<Node>(store, { kind: 'Node', namespace: '', name }, (node) => {
      const lease = leases.get(name);
      if (!lease || findCondition(node.status?.conditions, 'Ready')?.status !== 'True') return undefined;
      const reason = unhealthyReason(lease, clock(), staleAfterMs);
      if (!reason) return undefined;
      marked = true;
      const conditions = silentNodeConditions(node.status?.conditions, reason, preciseTimestamp(clock()));
      return { ...node, status: { ...node.status, conditions } };
    });
    if (marked) logger.warn({ node: name, reason: leases.get(name)?.endedReason ?? 'stale' }, 'node stopped answering: Ready=Unknown');
    return marked;
  }

  async function runCheck(): Promise<string[]> {
    const now = clock();
    const due: string[] = [];
    for (const lease of leases.all()) {
      if (!unhealthyReason(lease, now, staleAfterMs)) continue;
      const node = nodes.get('', lease.node);
      // not Ready=True (or gone): nothing to take away
      if (node && heartbeatAgeMs(node, now) !== undefined) due.push(lease.node);
    }
    const marked: string[] = [];
    const results = await Promise.all(due.map(async (name) => ((await markUnknown(name)) ? name : undefined)));
    for (const name of results) if (name) marked.push(name);
    return marked;
  }

  async function check(): Promise<string[]> {
    if (running) return running;
    running = runCheck();
    try {
      return await running;
    } finally {
      running = undefined;
    }
  }

  const track = (work: Promise<unknown>): void => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  return {
    async start() {
      if (interval) return;
      // Every known node starts with a fresh lease (a full grace period from now).
      for (const node of nodes.list()) leases.seed(node.metadata.name, clock());
      unsubscribeNodes = nodes.subscribe((event) => {
        const name = event.object.metadata.name;
        if (event.type === 'DELETED') leases.remove(name);
        else if (event.type === 'ADDED') leases.seed(name, clock());
      });
      unsubscribe = leases.onEnded((lease) =>
        track(markUnknown(lease.node).catch((err: unknown) => logger.error({ err, node: lease.node }, 'could not mark an offline node Ready=Unknown'))),
      );
      interval = setInterval(() => {
        check().catch((err: unknown) => logger.error({ err }, 'node health check failed'));
      }, intervalMs);
      interval.unref();
    },
    async stop() {
      if (interval) clearInterval(interval);
      interval = undefined;
      unsubscribe?.();
      unsubscribeNodes?.();
      if (running) await running.catch((err: unknown) => logger.error({ err }, 'node health check failed during stop'));
      await Promise.allSettled([...pending]);
    },
    check,
  };
}

/**
 * Marks a Node Ready=Unknown (NodeStatusUnknown) when its agent has not posted status for
 * `staleAfterMs`, checking every `intervalMs`. Only Ready=True nodes are looked at; the Node comes back
 * to True with its next status. Evicting the node's pods is the node-lifecycle controller's job.
 */
import type { Logger } from '../../protocol/logger.js';
import type { Node } from '../../protocol/objects/node.js';
import type { Store } from '../store/store.js';
import { findCondition, setCondition } from '../../protocol/conditions.js';
import { updateWithRetry } from '../store/update-with-retry.js';
import { preciseTimestamp } from '../../protocol/time.js';

export interface NodeLivenessOptions {
  store: Store;
  logger: Logger;
  clock: () => number;
  staleAfterMs: number;
  intervalMs?: number;
}

export interface NodeLiveness {
  start(): void;
  stop(): Promise<void>;
  /** Run one check now; returns the names of the nodes it marked Unknown. */
  check(): Promise<string[]>;
}

/** How long ago the node's Ready=True heartbeat was, or undefined when it is not Ready=True. */
export function heartbeatAgeMs(node: Node, now: number): number | undefined {
  const ready = findCondition(node.status?.conditions, 'Ready');
  if (ready?.status !== 'True') return undefined;
  const beat = Date.parse(ready.lastHeartbeatTime ?? ready.lastTransitionTime ?? '');
  return Number.isNaN(beat) ? Number.POSITIVE_INFINITY : now - beat;
}

export function createNodeLiveness(opts: NodeLivenessOptions): NodeLiveness {
  const { store, clock, staleAfterMs } = opts;
  const logger = opts.logger.child({ part: 'node-liveness' });
  const intervalMs = opts.intervalMs ?? 1000;
  let interval: NodeJS.Timeout | undefined;
  let running: Promise<string[]> | undefined;

  async function markStale(name: string): Promise<boolean> {
    let marked = false;
    await updateWithRetry<Node>(store, { kind: 'Node', namespace: '', name }, (node) => {
      const age = heartbeatAgeMs(node, clock());
      if (age === undefined || age <= staleAfterMs) return undefined;
      marked = true;
      const seconds = Number.isFinite(age) ? Math.floor(age / 1000) : '?';
      const conditions = setCondition(
        node.status?.conditions,
        { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: `status not updated for ${seconds}s` },
        preciseTimestamp(clock()),
      );
      return { ...node, status: { ...node.status, conditions } };
    });
    return marked;
  }

  async function runCheck(): Promise<string[]> {
    const nodes = await store.list<Node>('Node');
    const now = clock();
    const marked: string[] = [];
    for (const node of nodes.items) {
      const age = heartbeatAgeMs(node, now);
      if (age === undefined || age <= staleAfterMs) continue;
      if (await markStale(node.metadata.name)) {
        marked.push(node.metadata.name);
        logger.warn({ node: node.metadata.name, ageMs: age }, 'node status is stale: Ready=Unknown');
      }
    }
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

  return {
    start() {
      if (interval) return;
      interval = setInterval(() => {
        check().catch((err: unknown) => logger.error({ err }, 'node liveness check failed'));
      }, intervalMs);
      interval.unref();
    },
    async stop() {
      if (interval) clearInterval(interval);
      interval = undefined;
      if (running) await running.catch((err: unknown) => logger.error({ err }, 'node liveness check failed during stop'));
    },
    check,
  };
}

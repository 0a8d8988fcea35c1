/**
 * The queue both per-node publishers (desired sets, network sets) flush from: nodes marked dirty (or
 * all of them) are published together after `coalesceMs`, `concurrency` at once, one flush at a time;
 * changes during a flush wait for the next one, and nodes whose publish failed are tried again after
 * `retryMs`.
 */
import type { Logger } from '../../protocol/logger.js';
import { forEachBounded } from './bounded.js';

/** Publishes in flight at once during a flush. */
export const DEFAULT_PUBLISH_CONCURRENCY = 64;
export const DEFAULT_RETRY_MS = 1000;

export interface NodeFlushQueueOptions {
  logger: Logger;
  /** What is published (for the log line of a failure): "the desired set", "the network set". */
  what: string;
  coalesceMs: number;
  /** Default DEFAULT_RETRY_MS. */
  retryMs?: number | undefined;
  /** Default DEFAULT_PUBLISH_CONCURRENCY. */
  concurrency?: number | undefined;
  /** The nodes an all-nodes flush covers. */
  allNodes: () => string[];
  /** Called once per flush before the nodes are published (for what every node's set shares). */
  prepare?: () => void;
  publish: (node: string) => Promise<void>;
}

export interface NodeFlushQueue {
  mark(node: string): void;
  markAll(): void;
  flush(): Promise<void>;
  /** No more flushes; resolves when the running one is done. */
  stop(): Promise<void>;
}

export function createNodeFlushQueue(opts: NodeFlushQueueOptions): NodeFlushQueue {
  const dirty = new Set<string>();
  let allDirty = false;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let stopped = false;

  function schedule(delayMs: number): void {
    if (stopped || timer || flushing) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, delayMs);
  }

  /** Publishes for every dirty node, `concurrency` at once; returns the nodes whose publish failed. */
  async function run(): Promise<string[]> {
    const nodes = allDirty ? opts.allNodes() : [...dirty];
    allDirty = false;
    dirty.clear();
    opts.prepare?.();
    // thousands of nodes at start or after a rollout: a bounded number of publishes in flight (one
    // slow socket does not hold up the rest), and the event loop breathes every 200 nodes
    const failures = await forEachBounded(nodes, { limit: opts.concurrency ?? DEFAULT_PUBLISH_CONCURRENCY, yieldEvery: 200, stopped: () => stopped }, opts.publish);
    for (const { item: node, err } of failures) opts.logger.error({ err, node }, `publishing ${opts.what} failed; will retry`);
    return failures.map((f) => f.item);
  }

  async function flush(): Promise<void> {
    if (flushing) {
      await flushing;
      if (dirty.size === 0 && !allDirty) return;
      return flush();
    }
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    let failed: string[] = [];
    flushing = run().then((f) => {
      failed = f;
    });
    try {
      await flushing;
    } finally {
      flushing = undefined;
    }
    // Changes that came in during the flush go out after the usual pause; failures after retryMs.
    if (dirty.size > 0 || allDirty) schedule(opts.coalesceMs);
    for (const node of failed) dirty.add(node);
    if (failed.length > 0) schedule(opts.retryMs ?? DEFAULT_RETRY_MS);
  }

  return {
    mark(node) {
      dirty.add(node);
      schedule(opts.coalesceMs);
    },
    markAll() {
      allDirty = true;
      schedule(opts.coalesceMs);
    },
    flush,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (flushing) await flushing;
    },
  };
}

/**
 * Generations survive restores. A desired (and network) set's generation is the store's revision when it
 * was read, and agents ignore a set older than the one they run. A hub started on a restored or shortened
 * store (a backup, a lost WAL) would hand out generations its agents have seen already: they would ignore
 * every new set (new pods Pending, deletions stuck Terminating). Agents report the generation they work from
 * with their pod status; one ahead of the hub's revision means the store went back in time. The guard then
 * moves the store's revision past it by `marginRevisions` (etcd's --bump-revision, for the generations of sets
 * published after the one the agent reports), says so loudly (an error log and a Warning Event on the
 * node), and has every set published again at the new generation, which the agents take.
 */
import type { Logger } from '../../protocol/logger.js';
import type { ObjectCache } from '../cache/object-cache.js';
import type { EventRecorder } from '../events/recorder.js';
import type { Store } from '../store/store.js';

/** How far past the highest generation an agent reports the revision moves (writes after that set, lost). */
export const DEFAULT_BUMP_MARGIN = 1_000_000;
export const REVISION_BUMPED_REASON = 'RevisionBumped';

export interface RevisionGuardOptions {
  store: Store;
  cache: ObjectCache;
  logger: Logger;
  events?: EventRecorder;
  marginRevisions?: number;
  /** Publish every set again (the publishers' republishAll), once the cache is past the bump. */
  republish: () => Promise<void>;
}

export interface RevisionGuard {
  /** A node reported working from `generation`. */
  observe(node: string, generation: number): void;
  /** Resolves when no bump is in progress (tests, shutdown). */
  idle(): Promise<void>;
}

export function createRevisionGuard(opts: RevisionGuardOptions): RevisionGuard {
  const logger = opts.logger.child({ part: 'revision-guard' });
  const margin = opts.marginRevisions ?? DEFAULT_BUMP_MARGIN;
  let running: Promise<void> | undefined;
  /** The highest generation reported ahead of the hub, and by whom, while a bump runs. */
  let ahead: { node: string; generation: number } | undefined;

  async function bump(): Promise<void> {
    while (ahead && ahead.generation > opts.cache.revision()) {
      const { node, generation } = ahead;
      ahead = undefined;
      const before = opts.cache.revision();
      const target = generation + margin;
      const revision = await opts.store.bumpRevision(target);
      const message =
        `node ${node} works from desired-set generation ${generation}, ahead of this hub's revision ${before}: ` +
        `the store was restored or lost writes. The revision moves to ${revision} and every node's set is published again; ` +
        `what was written after the backup is gone`;
      logger.error({ node, reported: generation, revision: before, bumpedTo: revision }, `THE STORE WENT BACK IN TIME: ${message}`);
      // a write after the bump: the Event, which also takes the cache past it (the sets' generation)
      await opts.events?.record({ apiVersion: 'v1', kind: 'Node', name: node }, 'Warning', REVISION_BUMPED_REASON, message, { component: 'drover-hub' });
      await opts.cache.waitFor(revision);
      await opts.republish();
    }
  }

  return {
    observe(node, generation) {
      if (generation <= opts.cache.revision()) return;
      if (!ahead || generation > ahead.generation) ahead = { node, generation };
      if (running) return;
      running = bump()
        .catch((err: unknown) => logger.error({ err }, 'moving the revision past what agents run failed; tried again at their next report'))
        .finally(() => {
          running = undefined;
        });
    },
    idle: async () => {
      while (running) await running;
    },
  };
}

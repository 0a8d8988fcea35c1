/**
 * Following the cluster's shared network data (peers and Services) from its deltas, with a snapshot
 * when they do not connect; pure (no I/O), shared by the agent's network-set store and the simulator's
 * hollow nodes, so both follow the protocol alike:
 *
 * - a delta from the generation held is applied (the held generation becomes its `to`);
 * - a delta the node is past (`to` at or below the held generation) is ignored: a retained one seen
 *   again on reconnect, or one of a hub whose store went back in time (its revision guard moves the
 *   generation past the agents' and publishes everything again);
 * - any other delta is a gap (deltas missed while offline, a hub restart, no data yet): the node
 *   resyncs. It subscribes to the snapshot (`resyncing(true)`), keeps the deltas that arrive meanwhile,
 *   and takes the first snapshot at or past its generation together with the kept deltas that follow
 *   on from it; if they do not (the retained snapshot is older than the first kept delta), it waits for
 *   the next snapshot, which the hub publishes within a second of a change. Then `resyncing(false)`.
 *
 * Generations only go forward: nothing older than what the node holds is ever applied.
 */
import type { ClusterNetworkDeltaMessage, ClusterNetworkSnapshotMessage } from '../../protocol/messages.js';

/** Deltas kept while a resync waits for its snapshot; the oldest go first (the next snapshot covers them). */
export const DEFAULT_MAX_BUFFERED_DELTAS = 256;

export interface ClusterNetworkSyncHandlers {
  applySnapshot(snapshot: ClusterNetworkSnapshotMessage): void;
  applyDelta(delta: ClusterNetworkDeltaMessage): void;
  /** A resync starts (subscribe to the snapshot) or ends (unsubscribe). */
  resyncing(on: boolean): void;
}

export type SyncOutcome = 'applied' | 'ignored' | 'waiting';

export interface ClusterNetworkSync {
  onDelta(delta: ClusterNetworkDeltaMessage): SyncOutcome;
  onSnapshot(snapshot: ClusterNetworkSnapshotMessage): SyncOutcome;
  /** The generation held (undefined: no shared data yet, or data of unknown generation). */
  generation(): number | undefined;
  isResyncing(): boolean;
}

export function createClusterNetworkSync(opts: { generation?: number | undefined; handlers: ClusterNetworkSyncHandlers; maxBuffered?: number }): ClusterNetworkSync {
  const { handlers } = opts;
  const maxBuffered = opts.maxBuffered ?? DEFAULT_MAX_BUFFERED_DELTAS;
  let generation = opts.generation;
  let resyncing = false;
  let buffered: ClusterNetworkDeltaMessage[] = [];

  function startResync(delta: ClusterNetworkDeltaMessage): SyncOutcome {
    buffered.push(delta);
    if (buffered.length > maxBuffered) buffered.shift();
    if (!resyncing) {
      resyncing = true;
      handlers.resyncing(true);
    }
    return 'waiting';
  }

  /** Apply the kept deltas that follow on from the generation held; true when none is left over. */
  function drain(): boolean {
    buffered.sort((a, b) => a.from - b.from || a.to - b.to);
    const left: ClusterNetworkDeltaMessage[] = [];
    for (const d of buffered) {
      if (generation !== undefined && d.to <= generation) continue;
      if (left.length === 0 && d.from === generation) {
        handlers.applyDelta(d);
        generation = d.to;
      } else left.push(d);
    }
    buffered = left;
    return left.length === 0;
  }

  return {
    onDelta(delta) {
      if (resyncing) return startResync(delta);
      if (generation !== undefined && delta.to <= generation) return 'ignored';
      if (delta.from === generation) {
        handlers.applyDelta(delta);
        generation = delta.to;
        return 'applied';
      }
      return startResync(delta);
    },
    onSnapshot(snapshot) {
      if (!resyncing) return 'ignored';
      if (generation !== undefined && snapshot.generation < generation) return 'ignored';
      handlers.applySnapshot(snapshot);
      generation = snapshot.generation;
      if (drain()) {
        resyncing = false;
        handlers.resyncing(false);
        return 'applied';
      }
      return 'waiting';
    },
    generation: () => generation,
    isResyncing: () => resyncing,
  };
}

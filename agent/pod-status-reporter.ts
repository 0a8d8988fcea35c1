/**
 * Publishes pod status on the node's pods topic: a delta (full: false) shortly after any pod's status
 * changes, coalescing changes that come close together, and a full report (full: true) on connect,
 * every fullIntervalMs, and soon after a pod drops out of the report (so the hub can finish deleting it).
 */
import type { Logger } from '../protocol/logger.js';
import { nowIso, type PodStatusEntry, type PodStatusMessage } from '../protocol/messages.js';
import type { PodStatus } from '../protocol/objects/pod.js';
import type { ContainerRecords } from './container-records.js';
import { computePodStatus, podsToReport, toEntry } from './pod-status.js';
import type { Observation } from './reconciler.js';

export const DEFAULT_DELTA_DELAY_MS = 250;
export const DEFAULT_FULL_INTERVAL_MS = 30_000;

export interface PodStatusReporterOptions {
  records: ContainerRecords;
  runtimeName: string;
  /** The node's InternalIP, when known. */
  hostIP: () => string | undefined;
  /** Sends one message; only called while `isConnected()` says so. */
  publish: (message: PodStatusMessage) => Promise<void>;
  isConnected: () => boolean;
  logger: Logger;
  clock?: () => number;
  deltaDelayMs?: number;
  fullIntervalMs?: number;
}

export interface PodStatusReporter {
  /** Recompute every pod's status from a reconcile pass. */
  observe(observation: Observation): void;
  /** Publish a full report now (on connect). */
  sendFull(): Promise<void>;
  /** The statuses as last computed, by pod uid. */
  current(): Map<string, PodStatusEntry>;
  start(): void;
  stop(): void;
}

export function createPodStatusReporter(opts: PodStatusReporterOptions): PodStatusReporter {
  const clock = opts.clock ?? Date.now;
  const log = opts.logger.child({ component: 'pod-status-reporter' });
  const deltaDelayMs = opts.deltaDelayMs ?? DEFAULT_DELTA_DELAY_MS;
  const fullIntervalMs = opts.fullIntervalMs ?? DEFAULT_FULL_INTERVAL_MS;

  let latest = new Map<string, PodStatusEntry>();
  let generation = 0;
  /** What the hub was last told, as JSON, by uid. */
  const published = new Map<string, string>();
  const changed = new Set<string>();
  let needFull = false;
  let observed = false;
  let flushTimer: NodeJS.Timeout | undefined;
  let fullTimer: NodeJS.Timeout | undefined;
  let sending: Promise<void> = Promise.resolve();

  function message(full: boolean, pods: PodStatusEntry[]): PodStatusMessage {
    return { v: 1, type: 'podStatus', sentAt: nowIso(clock), generation, full, pods };
  }

  function send(full: boolean): Promise<void> {
    const run = sending.then(async () => {
      if (!opts.isConnected() || !observed) {
        // nothing to say yet, or no one to say it to: the next chance sends everything
        if (full) needFull = true;
        return;
      }
      let pods: PodStatusEntry[];
      if (full || needFull) {
        full = true;
        pods = [...latest.values()];
      } else {
        pods = [...changed].map((uid) => latest.get(uid)).filter((e): e is PodStatusEntry => !!e);
        if (pods.length === 0) return;
      }
      const sentChanges = new Set(changed);
      changed.clear();
      const wasFull = needFull;
      needFull = false;
      try {
        await opts.publish(message(full, pods));
      } catch (err) {
        // keep what was not delivered for the next attempt
        for (const uid of sentChanges) changed.add(uid);
        needFull ||= wasFull || full;
        throw err;
      }
      if (full) published.clear();
      for (const e of pods) published.set(e.uid, JSON.stringify(e.status));
    });
    sending = run.catch((err: unknown) => log.warn({ err }, 'could not publish pod status; it is sent again on the next change or resync'));
    return sending;
  }

  function scheduleFlush(): void {
    if (flushTimer) return;
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      void send(false);
    }, deltaDelayMs);
  }

  return {
    observe(observation) {
      generation = observation.desired?.generation ?? 0;
      const now = new Date(observation.at).toISOString();
      const next = new Map<string, PodStatusEntry>();
      for (const reported of podsToReport(observation)) {
        const previous: PodStatus | undefined = latest.get(reported.uid)?.status;
        const status = computePodStatus({
          pod: reported.pod,
          containers: reported.containers,
          record: (name) => opts.records.peek(reported.uid, name),
          runtimeName: opts.runtimeName,
          hostIP: opts.hostIP(),
          now,
          previous,
        });
        next.set(reported.uid, toEntry(reported, status));
      }
      for (const [uid, entry] of next) {
        if (published.get(uid) !== JSON.stringify(entry.status)) changed.add(uid);
      }
      for (const uid of published.keys()) if (!next.has(uid)) needFull = true;
      for (const uid of changed) if (!next.has(uid)) changed.delete(uid);
      latest = next;
      observed = true;
      if (changed.size > 0 || needFull) scheduleFlush();
    },
    sendFull: () => send(true),
    current: () => new Map(latest),
    start() {
      fullTimer = setInterval(() => void send(true), fullIntervalMs);
    },
    stop() {
      if (flushTimer) clearTimeout(flushTimer);
      if (fullTimer) clearInterval(fullTimer);
      flushTimer = undefined;
      fullTimer = undefined;
    },
  };
}

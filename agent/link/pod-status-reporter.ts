/**
 * Publishes pod status on the node's pods topic: a delta (full: false) shortly after any pod's status
 * changes, coalescing changes that come close together, and a full report (full: true) on connect,
 * every fullIntervalMs, and soon after a pod drops out of the report (so the hub can finish deleting it).
 * Pod events waiting in the event queue ride along (at most MAX_EVENTS_PER_MESSAGE per message); a new
 * event schedules a delta like a status change does, and events not delivered go back to the queue.
 * The statuses themselves come from the pods loop after each pass (pods/pod-status-tracker.ts).
 */
import type { Logger } from '../../protocol/logger.js';
import { MAX_EVENTS_PER_MESSAGE, type PodEvent, type PodStatusEntry, type PodStatusMessage } from '../../protocol/messages.js';
import { preciseTimestamp } from '../../protocol/time.js';

export const DEFAULT_DELTA_DELAY_MS = 250;
export const DEFAULT_FULL_INTERVAL_MS = 30_000;

/** The pod statuses of one reconcile pass. */
export interface PodStatusReport {
  /** The desired generation in use. */
  generation: number;
  pods: PodStatusEntry[];
}

/** Pod events waiting to go up with the status (the pods loop's event queue). */
export interface PendingPodEvents {
  /** Take up to `max` events, oldest first. */
  take(max: number): PodEvent[];
  /** Put back events that could not be sent. */
  putBack(events: PodEvent[]): void;
  size(): number;
  onRecorded(listener: () => void): void;
}

export interface PodStatusReporterOptions {
  /** Sends one message; only called while `isConnected()` says so. */
  publish: (message: PodStatusMessage) => Promise<void>;
  isConnected: () => boolean;
  logger: Logger;
  clock?: () => number;
  deltaDelayMs?: number;
  fullIntervalMs?: number;
  /** Pod events to send up with the status. */
  events?: PendingPodEvents;
}

export interface PodStatusReporter {
  /** Take every pod's status after a reconcile pass; what changed goes out as a delta. */
  observe(report: PodStatusReport): void;
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
  let closed = false;

  function message(full: boolean, pods: PodStatusEntry[], events: PodEvent[]): PodStatusMessage {
    const m: PodStatusMessage = { v: 1, type: 'podStatus', sentAt: preciseTimestamp(clock()), generation, full, pods };
    if (events.length > 0) m.events = events;
    return m;
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
        if (pods.length === 0 && (opts.events?.size() ?? 0) === 0) return;
      }
      const events = opts.events?.take(MAX_EVENTS_PER_MESSAGE) ?? [];
      const sentChanges = new Set(changed);
      changed.clear();
      const wasFull = needFull;
      needFull = false;
      try {
        await opts.publish(message(full, pods, events));
      } catch (err) {
        // keep what was not delivered for the next attempt
        for (const uid of sentChanges) changed.add(uid);
        needFull ||= wasFull || full;
        opts.events?.putBack(events);
        throw err;
      }
      if (full) published.clear();
      for (const e of pods) published.set(e.uid, JSON.stringify(e.status));
      if ((opts.events?.size() ?? 0) > 0) scheduleFlush();
    });
    sending = run.catch((err: unknown) => log.warn({ err }, 'could not publish pod status; it is sent again on the next change or resync'));
    return sending;
  }

  function scheduleFlush(): void {
    if (flushTimer || closed) return;
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      void send(false);
    }, deltaDelayMs);
  }

  opts.events?.onRecorded(() => {
    if (observed) scheduleFlush();
  });

  return {
    observe(report) {
      generation = report.generation;
      const next = new Map(report.pods.map((entry) => [entry.uid, entry]));
      for (const [uid, entry] of next) {
        if (published.get(uid) !== JSON.stringify(entry.status)) changed.add(uid);
      }
      for (const uid of published.keys()) if (!next.has(uid)) needFull = true;
      for (const uid of changed) if (!next.has(uid)) changed.delete(uid);
      latest = next;
      observed = true;
      if (changed.size > 0 || needFull || (opts.events?.size() ?? 0) > 0) scheduleFlush();
    },
    sendFull: () => send(true),
    current: () => new Map(latest),
    start() {
      closed = false;
      fullTimer = setInterval(() => void send(true), fullIntervalMs);
    },
    stop() {
      closed = true;
      if (flushTimer) clearTimeout(flushTimer);
      if (fullTimer) clearInterval(fullTimer);
      flushTimer = undefined;
      fullTimer = undefined;
    },
  };
}

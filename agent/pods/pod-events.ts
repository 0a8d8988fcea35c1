/**
 * The agent's pod events (Pulling, Created, Started, Killing, BackOff, Unhealthy, ...), in the words the
 * kubelet uses. The reconciler and the prober record them here; the pod status reporter takes them
 * out in batches and sends them up with the pod status. An event equal to one still waiting to be sent
 * (same pod, part, type, reason and message) is folded into it: count + 1, lastTimestamp moves. While
 * the hub is out of reach they wait, bounded: past `maxPending` distinct events the oldest are dropped.
 */
import type { Logger } from '../../protocol/logger.js';
import type { PodEvent } from '../../protocol/messages.js';
import type { Pod } from '../../protocol/objects/pod.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { podNamespace, podUid } from '../desired-set.js';

export const DEFAULT_MAX_PENDING_EVENTS = 1000;
/** Kubernetes' own limit on an event message. */
const MAX_MESSAGE_LENGTH = 1024;

export type PodEventType = 'Normal' | 'Warning';

/** The pod an event is about. */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

export interface PodEventSink {
  /** Record that `reason` happened to the pod (or to one of its containers when `container` is given). */
  record(pod: PodRef, container: string | undefined, type: PodEventType, reason: string, message: string): void;
}

export interface PodEventQueue extends PodEventSink {
  /** Take up to `max` events, oldest first. */
  take(max: number): PodEvent[];
  /** Put back events that could not be sent (they go first again, merged with any repeats since). */
  putBack(events: PodEvent[]): void;
  size(): number;
  /** Called after each record(); the reporter uses it to schedule a send. */
  onRecorded(listener: () => void): void;
}

export function podRefOf(pod: Pod): PodRef {
  return { namespace: podNamespace(pod), name: pod.metadata.name, uid: podUid(pod) };
}

export function containerFieldPath(container: string): string {
  return `spec.containers{${container}}`;
}

function keyOf(e: Pick<PodEvent, 'uid' | 'fieldPath' | 'type' | 'reason' | 'message'>): string {
  return JSON.stringify([e.uid, e.fieldPath ?? '', e.type, e.reason, e.message]);
}

export function createPodEventQueue(opts: { clock?: () => number; logger: Logger; maxPending?: number }): PodEventQueue {
  const clock = opts.clock ?? Date.now;
  const maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING_EVENTS;
  const log = opts.logger.child({ component: 'pod-events' });
  /** Insertion order is send order. */
  let pending = new Map<string, PodEvent>();
  const listeners: (() => void)[] = [];
  let dropped = 0;

  function trim(): void {
    while (pending.size > maxPending) {
      const oldest = pending.keys().next();
      if (oldest.done) break;
      pending.delete(oldest.value);
      dropped++;
    }
    if (dropped > 0 && dropped % 100 === 1) log.warn({ dropped, maxPending }, 'too many pod events waiting for the hub: dropping the oldest');
  }

  return {
    record(pod, container, type, reason, rawMessage) {
      const message = rawMessage.length > MAX_MESSAGE_LENGTH ? `${rawMessage.slice(0, MAX_MESSAGE_LENGTH - 3)}...` : rawMessage;
      const now = preciseTimestamp(clock());
      const event: PodEvent = { ...pod, type, reason, message, count: 1, firstTimestamp: now, lastTimestamp: now };
      if (container !== undefined) event.fieldPath = containerFieldPath(container);
      const key = keyOf(event);
      const before = pending.get(key);
      if (before) {
        before.count++;
        before.lastTimestamp = now;
      } else {
        pending.set(key, event);
        trim();
      }
      log.debug({ pod: `${pod.namespace}/${pod.name}`, container, type, reason, message }, 'pod event');
      for (const l of listeners) l();
    },
    take(max) {
      const out: PodEvent[] = [];
      for (const [key, e] of pending) {
        if (out.length >= max) break;
        out.push(e);
        pending.delete(key);
      }
      return out;
    },
    putBack(events) {
      const next = new Map<string, PodEvent>();
      for (const e of events) next.set(keyOf(e), { ...e });
      for (const [key, e] of pending) {
        const earlier = next.get(key);
        if (earlier) {
          earlier.count += e.count;
          earlier.lastTimestamp = e.lastTimestamp;
        } else next.set(key, e);
      }
      pending = next;
      trim();
    },
    size: () => pending.size,
    onRecorded(listener) {
      listeners.push(listener);
    },
  };
}

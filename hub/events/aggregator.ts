/**
 * Kubernetes' EventAggregator (client-go tools/record): events that differ only in their message
 * (same source, object, type and reason) are combined once 10 of them came within 10 minutes: from
 * then on they are one event, "(combined from similar events): <latest message>", whose count goes up.
 * A Deployment scaling 1,000 ReplicaSets, or a node evicting 500 pods, leaves a handful of events
 * that say so, not thousands.
 */
import type { EventSource, EventType, InvolvedObject } from './recorder.js';

export const AGGREGATE_AFTER = 10;
export const AGGREGATE_WINDOW_MS = 10 * 60_000;
export const COMBINED_PREFIX = '(combined from similar events): ';
const REMEMBERED = 4096;

export interface EventAggregator {
  /** The message to record: the event's own, or the combined form once similar events piled up. */
  message(obj: InvolvedObject, type: EventType, reason: string, message: string, source: EventSource, now: number): { message: string; combined: boolean };
}

export function createEventAggregator(opts: { after?: number; windowMs?: number } = {}): EventAggregator {
  const after = opts.after ?? AGGREGATE_AFTER;
  const windowMs = opts.windowMs ?? AGGREGATE_WINDOW_MS;
  /** aggregate key -> distinct messages seen in the window, and when the window started */
  const seen = new Map<string, { messages: Set<string>; since: number }>();
  return {
    message(obj, type, reason, message, source, now) {
      const key = JSON.stringify([source.component, source.host ?? '', obj.kind, obj.namespace ?? '', obj.name, obj.uid ?? '', type, reason]);
      let entry = seen.get(key);
      if (!entry || now - entry.since > windowMs) entry = { messages: new Set(), since: now };
      seen.delete(key);
      seen.set(key, entry);
      if (seen.size > REMEMBERED) seen.delete(seen.keys().next().value as string);
      entry.messages.add(message);
      // every similar message in the window bumps one combined event
      if (entry.messages.size >= after) return { message: `${COMBINED_PREFIX}${reason}`, combined: true };
      return { message, combined: false };
    },
  };
}

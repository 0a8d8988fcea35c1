import { randomBytes } from 'node:crypto';
import type { Event, Logger } from '../../protocol/index.js';
import { NotFoundError, UpdateRetriesExhaustedError } from '../store/errors.js';
import { updateWithRetry } from '../store/update-with-retry.js';
import type { ObjectCache } from '../cache/object-cache.js';
import type { Store } from '../store/store.js';
import { kubeTimestamp } from '../../protocol/time.js';
import { COMBINED_PREFIX, createEventAggregator } from './aggregator.js';
import { createSpamFilter } from './spam-filter.js';

export const DEFAULT_MAX_EVENTS_PER_NAMESPACE = 1000;
/** How many distinct events the recorder remembers for bumping (Kubernetes' client keeps 4096). */
export const EVENT_CACHE_SIZE = 4096;
/** Events about cluster-scoped objects (nodes) go to this namespace, as in Kubernetes. */
export const CLUSTER_EVENT_NAMESPACE = 'default';

export type EventType = 'Normal' | 'Warning';

export interface InvolvedObject {
  apiVersion?: string;
  kind: string;
  /** Absent or '' for cluster-scoped objects. */
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface EventSource {
  component: string;
  host?: string;
}

export interface EventRecorder {
  /**
   * Record that `reason` happened to `involvedObject`. An event equal to one recorded before (same
   * object, type, reason, message, source) is bumped (count + 1, lastTimestamp) instead of created
   * again. As client-go does, events about one object beyond a token bucket (25, then one every 5
   * minutes) are dropped, and 10 events that differ only in their message within 10 minutes become one
   * combined event. Events are best effort, as in Kubernetes: a dropped event or a failed write
   * resolves undefined; it never rejects.
   */
  record(involvedObject: InvolvedObject, type: EventType, reason: string, message: string, source: EventSource): Promise<Event | undefined>;
}

export interface EventRecorderOptions {
  store: Store;
  /** The shared informer cache (started by the caller): how many events a namespace holds, which are oldest. */
  cache: ObjectCache;
  logger: Logger;
  clock?: () => number;
  /** Keep this many events per namespace, deleting the oldest once there are a tenth more (default 1000: trimmed back at 1100). */
  maxEventsPerNamespace?: number;
  /** The random part of new event names (default 16 hex digits). */
  randomSuffix?: () => string;
  /** Per-object token bucket (default 25 events, one more every 5 minutes), as client-go's. */
  spamFilter?: { burst?: number; refillMs?: number };
  /** Similar events combined after this many in the window (default 10 in 10 minutes), as client-go's. */
  aggregation?: { after?: number; windowMs?: number };
}

const MAX_NAME = 253;

function eventName(objectName: string, suffix: string): string {
  return `${objectName.slice(0, MAX_NAME - suffix.length - 1)}.${suffix}`;
}

function eventNamespace(obj: InvolvedObject): string {
  return obj.namespace ? obj.namespace : CLUSTER_EVENT_NAMESPACE;
}

/** What makes two events "the same" (bumped instead of created again). */
function aggregationKey(obj: InvolvedObject, type: EventType, reason: string, message: string, source: EventSource): string {
  return JSON.stringify([eventNamespace(obj), obj.kind, obj.name, obj.uid ?? '', type, reason, message, source.component, source.host ?? '']);
}

/** Oldest first: by lastTimestamp, then by the revision of the last write. */
function compareAge(a: Event, b: Event): number {
  const ta = a.lastTimestamp ?? a.firstTimestamp ?? '';
  const tb = b.lastTimestamp ?? b.firstTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return Number(a.metadata.resourceVersion ?? 0) - Number(b.metadata.resourceVersion ?? 0);
}

/**
 * Writes v1 Events to the store, as Kubernetes' event recorder does: aggregate repeats by bumping
 * count, and keep each namespace to a bounded number of events (the oldest deleted, as counted by the
 * informer cache). Records of one aggregation key run one after another (so a repeat bumps); different
 * ones run at once, so a burst (10,000 pods scheduled) is written in a few group commits.
 */
export async function createEventRecorder(opts: EventRecorderOptions): Promise<EventRecorder> {
  const { store } = opts;
  const cached = opts.cache.kind<Event>('Event');
  // The caller may already have made our child logger; do not add the binding twice.
  const logger = opts.logger.bindings().component === 'events' ? opts.logger : opts.logger.child({ component: 'events' });
  const clock = opts.clock ?? Date.now;
  const maxPerNamespace = opts.maxEventsPerNamespace ?? DEFAULT_MAX_EVENTS_PER_NAMESPACE;
  const randomSuffix = opts.randomSuffix ?? (() => randomBytes(8).toString('hex'));
  /** aggregation key -> the event's name (namespace is part of the key). */
  const recent = new Map<string, string>();
  /** aggregation key -> the last record of it still in flight (records of one key are chained). */
  const tails = new Map<string, Promise<unknown>>();
  /** namespaces being trimmed now. */
  const trimming = new Set<string>();
  const spam = createSpamFilter(opts.spamFilter);
  const aggregator = createEventAggregator(opts.aggregation);

  const remember = (key: string, name: string): void => {
    recent.delete(key);
    recent.set(key, name);
    if (recent.size > EVENT_CACHE_SIZE) {
      const oldest = recent.keys().next();
      if (!oldest.done) recent.delete(oldest.value);
    }
  };

  /** Raise a known event's count; undefined when it is gone or kept changing under us (then a new one is made). */
  async function bump(namespace: string, name: string, now: string, message: string): Promise<Event | undefined> {
    const result = await updateWithRetry<Event>(store, { kind: 'Event', namespace, name }, (current) => ({
      ...current,
      count: (current.count ?? 1) + 1,
      lastTimestamp: now,
      message,
    }), 3).catch((err: unknown) => {
      if (err instanceof NotFoundError) return { outcome: 'notFound' as const };
      if (err instanceof UpdateRetriesExhaustedError) {
        logger.debug({ namespace, name }, 'event kept changing while bumping it; recording a new one');
        return { outcome: 'notFound' as const };
      }
      throw err;
    });
    return result.outcome === 'notFound' ? undefined : result.object;
  }

  /**
   * Delete the oldest events of `namespace` beyond the cap; one trim per namespace at a time. It runs
   * once the namespace is a tenth over the cap, so a stream of events costs one trim per hundred, not
   * one per event.
   */
  async function trim(namespace: string): Promise<void> {
    if (trimming.has(namespace)) return;
    trimming.add(namespace);
    try {
      const items = cached.list({ namespace });
      if (items.length <= maxPerNamespace) return;
      const excess = [...items].sort(compareAge).slice(0, items.length - maxPerNamespace);
      await Promise.all(
        excess.map(async (old) => {
          try {
            await store.delete({ kind: 'Event', namespace, name: old.metadata.name });
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err;
            logger.debug({ namespace, name: old.metadata.name }, 'old event already deleted');
          }
        }),
      );
    } finally {
      trimming.delete(namespace);
    }
  }

  async function recordNow(
    obj: InvolvedObject,
    type: EventType,
    reason: string,
    message: string,
    source: EventSource,
    key: string,
  ): Promise<Event> {
    const namespace = eventNamespace(obj);
    const now = kubeTimestamp(clock());
    const known = recent.get(key);
    if (known !== undefined) {
      const bumped = await bump(namespace, known, now, message);
      if (bumped) {
        remember(key, known);
        return bumped;
      }
    }
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: eventName(obj.name, randomSuffix()), namespace },
      involvedObject: {
        ...(obj.apiVersion !== undefined ? { apiVersion: obj.apiVersion } : {}),
        kind: obj.kind,
        ...(obj.namespace ? { namespace: obj.namespace } : {}),
        name: obj.name,
        ...(obj.uid !== undefined ? { uid: obj.uid } : {}),
        ...(obj.resourceVersion !== undefined ? { resourceVersion: obj.resourceVersion } : {}),
        ...(obj.fieldPath !== undefined ? { fieldPath: obj.fieldPath } : {}),
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: source.component, ...(source.host !== undefined ? { host: source.host } : {}) },
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    };
    const created = await store.create<Event>(event);
    remember(key, created.metadata.name);
    if (cached.countIn(namespace) > maxPerNamespace + Math.floor(maxPerNamespace / 10)) await trim(namespace);
    return created;
  }

  return {
    record(obj, type, reason, message, source) {
      const at = clock();
      if (!spam.allow(obj, source, at)) {
        logger.debug({ involvedObject: { kind: obj.kind, namespace: obj.namespace, name: obj.name }, reason }, 'event dropped: too many about this object (spam filter)');
        return Promise.resolve(undefined);
      }
      const combined = aggregator.combine(obj, type, reason, message, source, at);
      // a combined event is bumped under its reason alone; any other under its message too
      const key = aggregationKey(obj, type, reason, combined ? COMBINED_PREFIX : message, source);
      const text = combined ? `${COMBINED_PREFIX}${message}` : message;
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(() => recordNow(obj, type, reason, text, source, key)).then(
        (event) => event,
        (err: unknown) => {
          logger.warn(
            { err, involvedObject: { kind: obj.kind, namespace: obj.namespace, name: obj.name }, reason, message },
            'could not record event',
          );
          return undefined;
        },
      );
      tails.set(key, result);
      void result.finally(() => {
        if (tails.get(key) === result) tails.delete(key);
      });
      return result;
    },
  };
}

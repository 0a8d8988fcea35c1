/**
 * drover/v1/nodes/NODE/pods: pod status from the agent. Each entry is written to its Pod when the Pod
 * still exists with that uid and is bound to this node. A `full` report lists every pod the agent
 * runs; it completes the graceful deletion of the terminating pods it no longer lists
 * (hub/registry/pod-deletion.ts, where every pod deletion rule lives).
 *
 * The message's `events` (Pulling, Started, Unhealthy, BackOff, ...) are recorded as v1 Events with the
 * event recorder, source component `drover-agent` and host = the node, when the pod they are about
 * exists with that uid and is bound to this node (a node speaks only for its own pods). An event the
 * agent folded `count` times is recorded once and its count raised by the rest.
 */
import { isDeepStrictEqual } from 'node:util';
import { podStatusMessageSchema, type PodEvent, type PodStatusEntry } from '../../protocol/messages.js';
import type { Event } from '../../protocol/objects/event.js';
import type { Pod } from '../../protocol/objects/pod.js';
import type { Logger } from '../../protocol/logger.js';
import type { MessageHandler } from '../broker/broker.js';
import type { EventRecorder } from '../events/recorder.js';
import { completePodDeletions } from '../registry/pod-deletion.js';
import type { Store } from '../store/store.js';
import type { ObjectCache } from '../cache/object-cache.js';
import { nodeMessageHandler, type FleetContext } from './context.js';
import { updateWithRetry } from '../store/update-with-retry.js';

async function writeEntry(store: Store, cache: ObjectCache, logger: Logger, node: string, entry: PodStatusEntry): Promise<void> {
  // Most entries (every full report, every 30 s) say what the store already holds: the cache tells.
  const known = cache.kind<Pod>('Pod').get(entry.namespace, entry.name);
  if (known && known.metadata.uid === entry.uid && known.spec.nodeName === node && isDeepStrictEqual(known.status, entry.status)) return;
  let mismatch: string | undefined;
  const result = await updateWithRetry<Pod>(store, { kind: 'Pod', namespace: entry.namespace, name: entry.name }, (pod) => {
    if (pod.metadata.uid !== entry.uid) mismatch = 'uid differs (the pod was replaced)';
    else if (pod.spec.nodeName !== node) mismatch = `pod is bound to ${pod.spec.nodeName ? `node ${pod.spec.nodeName}` : 'no node'}`;
    else mismatch = undefined;
    if (mismatch || isDeepStrictEqual(pod.status, entry.status)) return undefined;
    return { ...pod, status: entry.status };
  });
  if (result.outcome === 'notFound') logger.debug({ node, pod: `${entry.namespace}/${entry.name}` }, 'status for a pod that no longer exists ignored');
  else if (mismatch) logger.warn({ node, pod: `${entry.namespace}/${entry.name}`, uid: entry.uid, reason: mismatch }, 'pod status ignored');
}

export const AGENT_EVENT_SOURCE = 'drover-agent';

async function recordEvents(store: Store, cache: ObjectCache, recorder: EventRecorder, logger: Logger, node: string, events: PodEvent[]): Promise<void> {
  /** Whether the pod `namespace/name` with this uid is bound to the node, asked once per message. */
  const allowed = new Map<string, boolean>();
  for (const e of events) {
    const podKey = `${e.namespace}/${e.name}/${e.uid}`;
    let ok = allowed.get(podKey);
    if (ok === undefined) {
      const pod = cache.kind<Pod>('Pod').get(e.namespace, e.name);
      ok = pod?.metadata.uid === e.uid && pod.spec.nodeName === node;
      allowed.set(podKey, ok);
      if (!ok) logger.debug({ node, pod: `${e.namespace}/${e.name}`, uid: e.uid }, 'events for a pod not bound to this node ignored');
    }
    if (!ok) continue;
    const involved = { apiVersion: 'v1', kind: 'Pod', namespace: e.namespace, name: e.name, uid: e.uid, ...(e.fieldPath ? { fieldPath: e.fieldPath } : {}) };
    const recorded = await recorder.record(involved, e.type, e.reason, e.message, { component: AGENT_EVENT_SOURCE, host: node });
    if (recorded && e.count > 1) await addCount(store, recorded, e.count - 1);
  }
}

/** Raise a recorded event's count by `extra` (the repeats the agent folded into one). */
async function addCount(store: Store, event: Event, extra: number): Promise<void> {
  await updateWithRetry<Event>(store, { kind: 'Event', namespace: event.metadata.namespace ?? '', name: event.metadata.name }, (current) => ({
    ...current,
    count: (current.count ?? 1) + extra,
  }));
}

/** `onGeneration`: the generation the node works from (the revision guard, revision-guard.ts). */
export function createPodStatusHandler(ctx: FleetContext, events?: EventRecorder, onGeneration?: (node: string, generation: number) => void): MessageHandler {
  return nodeMessageHandler(ctx, 'pod-status', 'pods', podStatusMessageSchema, async (node, report, logger) => {
    ctx.leases.renew(node, ctx.clock());
    onGeneration?.(node, report.generation);
    // Events first: whoever sees the new status (CrashLoopBackOff) finds the event that explains it
    // (BackOff), and the last words about a pod (Killing) are written while it still exists.
    if (events && report.events?.length) await recordEvents(ctx.store, ctx.cache, events, logger, node, report.events);
    await Promise.all(report.pods.map((entry) => writeEntry(ctx.store, ctx.cache, logger, node, entry)));
    if (report.full) await completePodDeletions(ctx.store, ctx.cache, logger, node, new Set(report.pods.map((p) => p.uid)));
  });
}

/**
 * drover/v1/nodes/NODE/pods: pod status from the agent. Each entry is written to its Pod when the Pod
 * still exists with that uid and is bound to this node. A `full` report lists every pod the agent
 * runs: a Pod bound to the node that is being deleted (deletionTimestamp set) and is absent from it
 * has been stopped by the agent, so it is now removed from the store: this is how graceful deletion
 * completes. Pods with finalizers are left for whoever owns the finalizer.
 */
import { isDeepStrictEqual } from 'node:util';
import { podStatusMessageSchema, type PodStatusEntry } from '../../protocol/messages.js';
import type { Pod } from '../../protocol/objects/pod.js';
import type { Logger } from '../../protocol/logger.js';
import type { MessageHandler } from '../broker/broker.js';
import { ConflictError, NotFoundError } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { decodeOrDrop, nodeOfTopic, type FleetContext } from './context.js';
import { updateWithRetry } from './update-with-retry.js';

async function writeEntry(store: Store, logger: Logger, node: string, entry: PodStatusEntry): Promise<void> {
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

async function finishDeletions(store: Store, logger: Logger, node: string, reported: Set<string>): Promise<void> {
  const bound = await store.list<Pod>('Pod', { fieldSelector: { 'spec.nodeName': node } });
  for (const pod of bound.items) {
    if (!pod.metadata.deletionTimestamp || reported.has(pod.metadata.uid ?? '')) continue;
    const key = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name };
    if ((pod.metadata.finalizers ?? []).length > 0) {
      logger.debug({ node, pod: `${key.namespace}/${key.name}`, finalizers: pod.metadata.finalizers }, 'stopped pod kept for its finalizers');
      continue;
    }
    try {
      await store.delete(key, { expectedResourceVersion: pod.metadata.resourceVersion });
      logger.info({ node, pod: `${key.namespace}/${key.name}` }, 'pod stopped by the agent: deletion complete');
    } catch (err) {
      // Changed or gone meanwhile: the next full report decides again.
      if (err instanceof ConflictError || err instanceof NotFoundError) {
        logger.debug({ node, pod: `${key.namespace}/${key.name}`, code: err.code }, 'pod deletion deferred');
        continue;
      }
      throw err;
    }
  }
}

export function createPodStatusHandler(ctx: FleetContext): MessageHandler {
  const logger = ctx.logger.child({ handler: 'pod-status' });
  return async (topic, payload) => {
    const node = nodeOfTopic(logger, topic, 'pods');
    if (!node) return;
    const report = decodeOrDrop(logger, podStatusMessageSchema, topic, payload);
    if (!report) return;
    for (const entry of report.pods) await writeEntry(ctx.store, logger, node, entry);
    if (report.full) await finishDeletions(ctx.store, logger, node, new Set(report.pods.map((p) => p.uid)));
  };
}

/**
 * drover/v1/nodes/NODE/presence: `offline` (the agent's last will, or said on a clean shutdown) marks
 * the Node Ready=Unknown at once instead of waiting for the status to go stale; `online` is only
 * logged (Ready=True comes with the next status). A last will of a connection that a reconnecting
 * agent has already replaced is ignored.
 */
import { presenceMessageSchema } from '../../protocol/messages.js';
import type { Node } from '../../protocol/objects/node.js';
import type { MessageHandler } from '../broker/broker.js';
import { findCondition, setCondition } from '../../protocol/conditions.js';
import { decodeOrDrop, nodeOfTopic, type FleetContext } from './context.js';
import { updateWithRetry } from '../store/update-with-retry.js';
import { preciseTimestamp } from '../../protocol/time.js';

export function createPresenceHandler(ctx: FleetContext): MessageHandler {
  const logger = ctx.logger.child({ handler: 'presence' });
  return async (topic, payload, meta) => {
    const node = nodeOfTopic(logger, topic, 'presence');
    if (!node) return;
    const message = decodeOrDrop(logger, presenceMessageSchema, topic, payload);
    if (!message) return;
    if (message.state === 'online') {
      logger.info({ node, agentVersion: message.agentVersion }, 'node online');
      return;
    }
    if (meta.lastWill && ctx.broker.isNodeConnected(node)) {
      logger.info({ node }, 'last will of a replaced connection ignored: the node is connected again');
      return;
    }
    const why = meta.lastWill ? 'agent went offline (last will)' : 'agent went offline';
    const result = await updateWithRetry<Node>(ctx.store, { kind: 'Node', namespace: '', name: node }, (current) => {
      const ready = findCondition(current.status?.conditions, 'Ready');
      if (ready?.status === 'Unknown' && ready.reason === 'NodeStatusUnknown') return undefined;
      const now = preciseTimestamp(ctx.clock());
      const conditions = setCondition(current.status?.conditions, { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: why }, now);
      return { ...current, status: { ...current.status, conditions } };
    });
    if (result.outcome === 'notFound') logger.warn({ node }, 'presence from a node the store does not know dropped');
    else logger.info({ node, lastWill: meta.lastWill }, 'node offline: Ready=Unknown');
  };
}

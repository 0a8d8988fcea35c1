/**
 * drover/v1/nodes/NODE/heartbeat: the agent is alive (every status interval, QoS 0). Renews the
 * node's lease with the live usage it carries (and its pods' usage, for metrics.k8s.io); never writes the store, with one exception: a node that
 * node health had marked Ready=Unknown (its lease went stale while it stayed connected, e.g. a hub
 * too busy to read) is Ready=True again at once, without waiting for its next full status.
 */
import { nodeHeartbeatMessageSchema } from '../../protocol/messages.js';
import type { Node } from '../../protocol/objects/node.js';
import { findCondition, setCondition } from '../../protocol/conditions.js';
import { preciseTimestamp } from '../../protocol/time.js';
import type { MessageHandler } from '../broker/broker.js';
import { updateWithRetry } from '../store/update-with-retry.js';
import { nodeMessageHandler, type FleetContext } from './context.js';

export const NODE_STATUS_UNKNOWN = 'NodeStatusUnknown';

const readyAgain = { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'the agent is posting ready status' } as const;

export function createHeartbeatHandler(ctx: FleetContext): MessageHandler {
  return nodeMessageHandler(ctx, 'heartbeat', 'heartbeat', nodeHeartbeatMessageSchema, async (node, message, logger) => {
    ctx.leases.renew(node, ctx.clock(), message.usage, message.podUsage);
    const known = ctx.cache.kind<Node>('Node').get('', node);
    if (!known) {
      logger.debug({ node }, 'heartbeat from a node the store does not know');
      return;
    }
    if (findCondition(known.status?.conditions, 'Ready')?.reason !== NODE_STATUS_UNKNOWN) return;
    const result = await updateWithRetry<Node>(ctx.store, { kind: 'Node', namespace: '', name: node }, (current) => {
      if (findCondition(current.status?.conditions, 'Ready')?.reason !== NODE_STATUS_UNKNOWN) return undefined;
      const now = preciseTimestamp(ctx.clock());
      const conditions = setCondition(current.status?.conditions, { ...readyAgain, lastHeartbeatTime: now }, now);
      return { ...current, status: { ...current.status, conditions } };
    });
    if (result.outcome === 'updated') logger.info({ node }, 'node answers again: Ready=True');
  });
}

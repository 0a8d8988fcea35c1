/**
 * drover/v1/nodes/NODE/presence: `offline` (the agent's last will, or said on a clean shutdown) ends
 * the node's lease, and the node lifecycle marks it Ready=Unknown at once instead of waiting for the
 * lease to go stale; `online` renews it (Ready=True comes with the next status). A last will of a
 * connection that a reconnecting agent has already replaced is ignored.
 */
import { presenceMessageSchema } from '../../protocol/messages.js';
import type { MessageHandler } from '../broker/broker.js';
import { nodeMessageHandler, type FleetContext } from './context.js';

export function createPresenceHandler(ctx: FleetContext): MessageHandler {
  return nodeMessageHandler(ctx, 'presence', 'presence', presenceMessageSchema, async (node, message, logger, meta) => {
    if (message.state === 'online') {
      logger.info({ node, agentVersion: message.agentVersion }, 'node online');
      ctx.leases.renew(node, ctx.clock());
      return;
    }
    if (meta.lastWill && ctx.broker.isNodeConnected(node)) {
      logger.info({ node }, 'last will of a replaced connection ignored: the node is connected again');
      return;
    }
    const why = meta.lastWill ? 'agent went offline (last will)' : 'agent went offline';
    logger.info({ node, lastWill: meta.lastWill }, 'node offline: its lease ends');
    ctx.leases.end(node, ctx.clock(), why);
  });
}

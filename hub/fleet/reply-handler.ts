/**
 * drover/v1/nodes/NODE/reply/ID: an agent's answer to a command (node-commands.ts). The reply is
 * decoded and handed to whoever waits for request ID from NODE; a reply nobody waits for (late, after
 * a timeout, or from another node than the one asked: the broker's ACL already keeps a node to its
 * own reply topics) is logged and dropped.
 */
import { replyMessageSchema, type ReplyMessage } from '../../protocol/messages.js';
import type { Logger } from '../../protocol/logger.js';
import { parseTopic } from '../../protocol/topics.js';
import type { MessageHandler } from '../broker/broker.js';
import { decodeOrDrop } from './context.js';

/** Requests waiting for their reply. */
export interface PendingReplies {
  /** Settle request `reply.requestId` asked of `node`; false when no such request is waiting. */
  settle(node: string, reply: ReplyMessage): boolean;
}

export function createReplyHandler(logger: Logger, pending: PendingReplies): MessageHandler {
  const log = logger.child({ handler: 'reply' });
  return (topic, payload) => {
    const parsed = parseTopic(topic);
    if (parsed?.kind !== 'node' || parsed.channel !== 'reply' || !parsed.requestId) {
      log.warn({ topic }, 'message on an unexpected topic dropped');
      return;
    }
    const reply = decodeOrDrop(log, replyMessageSchema, topic, payload);
    if (!reply) return;
    if (reply.requestId !== parsed.requestId) {
      log.warn({ topic, requestId: reply.requestId }, 'reply whose request id differs from its topic dropped');
      return;
    }
    if (!pending.settle(parsed.node, reply)) {
      log.info({ node: parsed.node, requestId: reply.requestId }, 'reply to no waiting request dropped (late or unknown)');
    }
  };
}

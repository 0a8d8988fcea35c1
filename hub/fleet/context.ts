/** What every fleet handler is given, and the shared decode-or-drop step. */
import type { z } from 'zod';
import { decodeMessage } from '../../protocol/messages.js';
import type { Logger } from '../../protocol/logger.js';
import { parseTopic, type NodeChannel } from '../../protocol/topics.js';
import type { Broker, MessageHandler, PublishMeta } from '../broker/broker.js';
import type { ObjectCache } from '../cache/object-cache.js';
import type { NodeLeases } from '../leases/node-leases.js';
import type { Store } from '../store/store.js';

/** The part of the hub's AuthService the fleet uses. */
export interface FleetAuth {
  verifyJoinToken(token: string): Promise<{ ok: true; id: string } | { ok: false; reason: string }>;
  /** Mark a join token used; the auth service decides whether it was single-use. */
  consumeJoinToken(id: string): Promise<unknown>;
  /** Issue (or replace) node <name>'s MQTT credential; username is `node:<name>`. */
  issueNodeCredential(nodeName: string): Promise<{ username: string; password: string }>;
}

export interface FleetContext {
  store: Store;
  broker: Broker;
  auth: FleetAuth;
  /** Renewed by every message from a node, ended by its offline presence; read by the node lifecycle. */
  leases: NodeLeases;
  /** The shared informer cache (hub/cache): what the handlers read instead of listing the store. */
  cache: ObjectCache;
  logger: Logger;
  clock: () => number;
}

/** The node a node-channel topic belongs to, or undefined (logged) when the topic is not that channel. */
export function nodeOfTopic(logger: Logger, topic: string, channel: NodeChannel): string | undefined {
  const parsed = parseTopic(topic);
  if (parsed?.kind === 'node' && parsed.channel === channel) return parsed.node;
  logger.warn({ topic, expected: channel }, 'message on an unexpected topic dropped');
  return undefined;
}

/** Decode and validate; on failure log at warn and return undefined. Never throws. */
export function decodeOrDrop<S extends z.ZodType>(logger: Logger, schema: S, topic: string, payload: Buffer): z.infer<S> | undefined {
  try {
    return decodeMessage(schema, topic, payload);
  } catch (err) {
    logger.warn({ err, topic, bytes: payload.length }, 'invalid message dropped');
    return undefined;
  }
}

/**
 * A handler for one node channel: the topic's node and the validated message, or nothing at all (a
 * wrong topic or a bad payload is logged at warn and dropped). `handle` gets the node, the message,
 * the handler's child logger and the publish metadata.
 */
export function nodeMessageHandler<S extends z.ZodType>(
  ctx: FleetContext,
  name: string,
  channel: NodeChannel,
  schema: S,
  handle: (node: string, message: z.infer<S>, logger: Logger, meta: PublishMeta) => Promise<void>,
): MessageHandler {
  const logger = ctx.logger.child({ handler: name });
  return async (topic, payload, meta) => {
    const node = nodeOfTopic(logger, topic, channel);
    if (!node) return;
    const message = decodeOrDrop(logger, schema, topic, payload);
    if (message === undefined) return;
    await handle(node, message, logger, meta);
  };
}

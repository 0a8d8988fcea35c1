/**
 * drover/v1/join/CLIENT/request: a device enrolling with a join token (checked by the broker at
 * connect, checked again here in case a single-use token was spent meanwhile). On success the node
 * gets its own MQTT credential and a Node object; the reply goes to drover/v1/join/CLIENT/reply.
 *
 * A name is refused while a Node of that name is Ready and its agent is connected; otherwise a
 * device may join again under an existing name (re-install, lost credential) and gets a new password.
 * Joins of one node name run one at a time, different names at once (a fleet enrolls in parallel);
 * the token is consumed first, one consume per token at a time, so two devices racing with one
 * single-use token cannot both win, and a refused device is issued nothing.
 */
import { joinRequestMessageSchema, encodeMessage, type JoinReplyMessage } from '../../protocol/messages.js';
import type { Node } from '../../protocol/objects/node.js';
import { isValidNodeName, parseTopic, topics } from '../../protocol/topics.js';
import type { MessageHandler } from '../broker/broker.js';
import { AlreadyExistsError } from '../store/errors.js';
import { findCondition } from '../../protocol/conditions.js';
import { decodeOrDrop, type FleetContext } from './context.js';
import { JoinRefusedError } from './errors.js';
import { JoinTokenUnusableError } from '../auth/errors.js';
import { createKeyedQueue, createKeyedSerializer } from './keyed-queue.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { LABEL_HOSTNAME } from '../../protocol/well-known.js';
import { selfLabelProblems } from '../../protocol/node-self-labels.js';
import { updateWithRetry } from '../store/update-with-retry.js';

export function newNodeObject(name: string, now: string, labels: Record<string, string> = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { ...labels, [LABEL_HOSTNAME]: name } },
    spec: {},
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'Unknown',
          reason: 'NodeStatusNeverUpdated',
          message: 'the agent has not posted node status yet',
          lastTransitionTime: now,
        },
      ],
    },
  };
}

export function createJoinHandler(ctx: FleetContext): MessageHandler {
  const logger = ctx.logger.child({ handler: 'join' });
  const queue = createKeyedQueue((key, err) => logger.error({ err, key }, 'join handling failed'));
  const tokenUses = createKeyedSerializer();

  async function reply(clientId: string, body: { ok: true; nodeName: string; username: string; password: string } | { ok: false; error: string }) {
    const message: JoinReplyMessage = { v: 1, type: 'joinReply', sentAt: preciseTimestamp(ctx.clock()), ...body };
    await ctx.broker.publish(topics.joinReply(clientId), encodeMessage(message), { qos: 1 });
  }

  async function admit(nodeName: string, token: string, labels: Record<string, string>) {
    if (!isValidNodeName(nodeName)) {
      throw new JoinRefusedError(`invalid node name "${nodeName}": use lowercase letters, digits, "-" and "." (at most 63)`);
    }
    const labelProblems = selfLabelProblems(labels);
    if (labelProblems.length > 0) throw new JoinRefusedError(`labels refused: ${labelProblems.join('; ')}`);
    const verdict = await ctx.auth.verifyJoinToken(token);
    if (!verdict.ok) throw new JoinRefusedError(`join token refused: ${verdict.reason}`);
    const key = { kind: 'Node', namespace: '', name: nodeName };
    const existing = await ctx.store.get<Node>(key);
    if (existing && findCondition(existing.status?.conditions, 'Ready')?.status === 'True' && ctx.broker.isNodeConnected(nodeName)) {
      throw new JoinRefusedError(`node name "${nodeName}" is taken: a node of that name is connected and Ready`);
    }
    // a use of the token is taken first: a single-use token spent meanwhile refuses this device here
    await tokenUses.run(verdict.id, async () => {
      try {
        await ctx.auth.consumeJoinToken(verdict.id);
      } catch (err) {
        if (err instanceof JoinTokenUnusableError) throw new JoinRefusedError(`join token refused: ${err.reason}`);
        throw err;
      }
    });
    const credential = await ctx.auth.issueNodeCredential(nodeName);
    let created = false;
    if (!existing) {
      try {
        await ctx.store.create(newNodeObject(nodeName, preciseTimestamp(ctx.clock()), labels));
        created = true;
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
      }
    }
    if (!created && Object.keys(labels).length > 0) {
      await updateWithRetry<Node>(ctx.store, { kind: 'Node', namespace: '', name: nodeName }, (node) => {
        const missing = Object.entries(labels).filter(([k]) => node.metadata.labels?.[k] === undefined);
        if (missing.length === 0) return undefined;
        return { ...node, metadata: { ...node.metadata, labels: { ...node.metadata.labels, ...Object.fromEntries(missing) } } };
      });
    }
    return credential;
  }

  return async (topic, payload, meta) => {
    const parsed = parseTopic(topic);
    if (parsed?.kind !== 'join' || parsed.channel !== 'request') return;
    const clientId = parsed.clientId;
    const identity = meta.identity;
    if (identity?.kind !== 'join' || identity.clientId !== clientId) {
      logger.warn({ topic, clientId: meta.clientId }, 'join request not from an authenticated join client dropped');
      return;
    }
    const request = decodeOrDrop(logger, joinRequestMessageSchema, topic, payload);
    if (!request) return;
    await queue.run(`join/${request.nodeName}`, async () => {
      try {
        const credential = await admit(request.nodeName, identity.token, request.labels ?? {});
        await reply(clientId, { ok: true, nodeName: request.nodeName, ...credential });
        logger.info({ node: request.nodeName, clientId, hostname: request.hostname, labels: request.labels }, 'node joined');
      } catch (err) {
        if (err instanceof JoinRefusedError) {
          logger.warn({ node: request.nodeName, clientId, reason: err.message }, 'join refused');
          await reply(clientId, { ok: false, error: err.message });
          return;
        }
        logger.error({ err, node: request.nodeName, clientId }, 'join failed');
        await reply(clientId, { ok: false, error: `the hub could not complete the join: ${(err as Error).message}` });
      }
    });
  };
}

/**
 * Request/response with agents over MQTT, for `drover logs` and `drover exec`: publish a
 * commandMessage on drover/v1/nodes/NODE/cmd and wait for the replyMessage on
 * drover/v1/nodes/NODE/reply/REQUESTID (reply-handler.ts), with a timeout. Not streaming: the agent
 * answers once with the whole (size-capped) output.
 *
 * Failures are typed: NodeNotConnectedError (no live connection: nothing is sent),
 * CommandTimeoutError, CommandFailedError (the agent answered ok: false, with its reason) and
 * NodeCommandsStoppedError.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../protocol/logger.js';
import { encodeMessage, type CommandMessage, type ReplyMessage } from '../../protocol/messages.js';
import { topics } from '../../protocol/topics.js';
import type { Broker } from '../broker/broker.js';
import { CommandFailedError, CommandTimeoutError, NodeCommandsStoppedError, NodeNotConnectedError } from './errors.js';
import { createReplyHandler, type PendingReplies } from './reply-handler.js';
import { preciseTimestamp } from '../../protocol/time.js';

export interface LogsRequest {
  node: string;
  namespace: string;
  pod: string;
  container?: string;
  tailLines?: number;
  previous?: boolean;
}

export interface ExecRequest {
  node: string;
  namespace: string;
  pod: string;
  container?: string;
  argv: string[];
  /** How long the agent lets the command run (agent default 60 s). */
  timeoutSeconds?: number;
}

export interface ExecResult {
  /** stdout then stderr, as one text (the agent does not keep them apart). */
  output: string;
  exitCode: number;
}

/** What the API uses (hub/api takes this interface as its `nodeCommands` option). */
export interface NodeCommands {
  logs(req: LogsRequest): Promise<string>;
  exec(req: ExecRequest): Promise<ExecResult>;
}

/** What the volume controller uses: a node's agent removes a released local-path volume's directory. */
export interface VolumeCommands {
  deleteVolume(node: string, volume: string): Promise<void>;
}

export interface NodeCommandsService extends NodeCommands, VolumeCommands {
  /** Subscribe to replies. */
  start(): void;
  /** Unsubscribe; waiting requests fail with NodeCommandsStoppedError. */
  stop(): void;
  /** Requests waiting for a reply (for tests and metrics). */
  pendingCount(): number;
}

export interface NodeCommandsOptions {
  broker: Pick<Broker, 'publish' | 'subscribe' | 'isNodeConnected'>;
  logger: Logger;
  clock?: () => number;
  /** How long to wait for a reply to `logs`, and to `exec` beyond its own timeout (default 30000). */
  replyTimeoutMs?: number;
  newRequestId?: () => string;
}

export const DEFAULT_REPLY_TIMEOUT_MS = 30_000;
/** The agent's own limit for an exec without timeoutSeconds (agent/link/commands.ts). */
export const AGENT_DEFAULT_EXEC_TIMEOUT_SECONDS = 60;

interface Waiting {
  node: string;
  command: string;
  resolve(reply: ReplyMessage): void;
  reject(err: Error): void;
}

/** A command without its envelope (distributed over the union, so each command keeps its fields). */
type CommandBody = CommandMessage extends infer M ? (M extends unknown ? Omit<M, 'v' | 'type' | 'sentAt' | 'requestId'> : never) : never;

export function createNodeCommands(opts: NodeCommandsOptions): NodeCommandsService {
  const logger = opts.logger.child({ component: 'node-commands' });
  const clock = opts.clock ?? Date.now;
  const replyTimeoutMs = opts.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS;
  const newRequestId = opts.newRequestId ?? (() => randomUUID());
  const waiting = new Map<string, Waiting>();
  let unsubscribe: (() => void) | undefined;

  const pending: PendingReplies = {
    settle(node, reply) {
      const w = waiting.get(reply.requestId);
      if (!w || w.node !== node) return false;
      waiting.delete(reply.requestId);
      w.resolve(reply);
      return true;
    },
  };

  async function send(node: string, body: CommandBody, timeoutMs: number): Promise<ReplyMessage> {
    if (!unsubscribe) throw new NodeCommandsStoppedError();
    if (!opts.broker.isNodeConnected(node)) throw new NodeNotConnectedError(node);
    const requestId = newRequestId();
    const message = { v: 1, type: 'command', sentAt: preciseTimestamp(clock()), requestId, ...body } as CommandMessage;
    const reply = new Promise<ReplyMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(requestId);
        reject(new CommandTimeoutError(node, body.command, timeoutMs));
      }, timeoutMs);
      waiting.set(requestId, {
        node,
        command: body.command,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
    // settled possibly while the publish is in flight; it is awaited (and its error thrown) below
    reply.catch(() => undefined);
    try {
      await opts.broker.publish(topics.nodeCmd(node), encodeMessage(message), { qos: 1 });
      logger.debug({ node, command: body.command, requestId, ...('pod' in body ? { pod: `${body.namespace}/${body.pod}` } : { volume: body.volume }) }, 'command sent');
    } catch (err) {
      // the broker's typed error (BrokerPublishError / BrokerClosedError) is what the caller sees
      waiting.get(requestId)?.reject(err as Error);
      waiting.delete(requestId);
    }
    const answer = await reply;
    if (!answer.ok) throw new CommandFailedError(node, body.command, answer.error ?? `the agent on node "${node}" refused the ${body.command} command`);
    return answer;
  }

  return {
    start() {
      if (unsubscribe) return;
      unsubscribe = opts.broker.subscribe(topics.allNodesUp('reply'), createReplyHandler(logger, pending));
    },
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      for (const [id, w] of [...waiting]) {
        waiting.delete(id);
        w.reject(new NodeCommandsStoppedError());
      }
    },
    pendingCount: () => waiting.size,
    async logs(req) {
      const reply = await send(
        req.node,
        {
          command: 'logs',
          namespace: req.namespace,
          pod: req.pod,
          ...(req.container ? { container: req.container } : {}),
          ...(req.tailLines !== undefined ? { tailLines: req.tailLines } : {}),
          ...(req.previous ? { previous: true } : {}),
        },
        replyTimeoutMs,
      );
      return reply.output ?? '';
    },
    async exec(req) {
      const reply = await send(
        req.node,
        {
          command: 'exec',
          namespace: req.namespace,
          pod: req.pod,
          argv: req.argv,
          ...(req.container ? { container: req.container } : {}),
          ...(req.timeoutSeconds !== undefined ? { timeoutSeconds: req.timeoutSeconds } : {}),
        },
        (req.timeoutSeconds ?? AGENT_DEFAULT_EXEC_TIMEOUT_SECONDS) * 1000 + replyTimeoutMs,
      );
      return { output: reply.output ?? '', exitCode: reply.exitCode ?? 0 };
    },
    async deleteVolume(node, volume) {
      await send(node, { command: 'deleteVolume', volume }, replyTimeoutMs);
    },
  };
}

/**
 * Commands from the hub on the node's cmd topic (`drover logs`, `drover exec`, and deleteVolume for a released local volume): run against the pod's
 * container in the runtime and answer on drover/v1/nodes/<name>/reply/<requestId>. A malformed command
 * is logged and dropped (there is no request id to answer); every other failure is answered ok:false.
 */
import { DroverError } from '../../protocol/errors.js';
import type { Logger } from '../../protocol/logger.js';
import {
  commandMessageSchema,
  decodeMessage,
  type CommandMessage,
  type ReplyMessage,
} from '../../protocol/messages.js';
import { RUNTIME_LABELS } from '../../protocol/pod-helpers.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { topics } from '../../protocol/topics.js';
import type { ContainerRuntime } from '../../runtime-adapters/runtime.js';
import { ContainerNotRunningError, InvalidOptionError } from '../errors.js';
import { deleteManagedVolume } from '../local-volumes.js';
import type { DesiredSet } from '../desired-set.js';
import { containerFinder, previousLogReader } from './pod-container.js';

/** Output sent back in one reply at most; longer output keeps its end. */
export const MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_EXEC_TIMEOUT_SECONDS = 60;

export interface CommandHandlerOptions {
  nodeName: string;
  runtime: ContainerRuntime;
  desired: () => DesiredSet | undefined;
  publish: (topic: string, message: ReplyMessage) => Promise<void>;
  logger: Logger;
  clock?: () => number;
  /** The agent's data dir, where previous instances' logs are kept (`logs --previous`); without it there are none. */
  dataDir?: string | undefined;
}

export interface CommandHandler {
  handle(topic: string, payload: Buffer | string): Promise<void>;
}

/** Keep the last `max` bytes of `text`, with a note of how much was cut. */
export function truncateOutput(text: string, max = MAX_OUTPUT_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  const cut = bytes.length - max;
  return `[... ${cut} bytes truncated ...]\n${bytes.subarray(cut).toString('utf8')}`;
}

export function createCommandHandler(opts: CommandHandlerOptions): CommandHandler {
  const clock = opts.clock ?? Date.now;
  const log = opts.logger.child({ component: 'cmd-handler' });

  const findContainer = containerFinder(opts);
  const readPrevious = previousLogReader(opts);

  async function run(cmd: CommandMessage): Promise<Omit<ReplyMessage, 'v' | 'type' | 'sentAt' | 'requestId'>> {
    if (cmd.command === 'deleteVolume') {
      if (!opts.dataDir) throw new InvalidOptionError('this agent has no data dir: it keeps no local volumes');
      const path = await deleteManagedVolume(opts.dataDir, cmd.volume, opts.desired()?.volumes ?? []);
      log.info({ volume: cmd.volume, path }, 'released local volume deleted');
      return { ok: true, output: path };
    }
    if (cmd.command === 'logs' && cmd.previous) return { ok: true, output: truncateOutput(await readPrevious(cmd, cmd.tailLines)) };
    const info = await findContainer(cmd);
    if (cmd.command === 'logs') {
      const output = await opts.runtime.logs(info.id, cmd.tailLines === undefined ? {} : { tailLines: cmd.tailLines });
      return { ok: true, output: truncateOutput(output) };
    }
    if (info.state !== 'running') {
      throw new ContainerNotRunningError(`cannot exec in container ${info.labels[RUNTIME_LABELS.container]} of pod ${cmd.pod}: it is not running (${info.state})`);
    }
    const timeoutMs = (cmd.timeoutSeconds ?? DEFAULT_EXEC_TIMEOUT_SECONDS) * 1000;
    const result = await opts.runtime.exec(info.id, cmd.argv, timeoutMs);
    return { ok: true, output: truncateOutput(result.stdout + result.stderr), exitCode: result.exitCode };
  }

  return {
    async handle(topic, payload) {
      let cmd: CommandMessage;
      try {
        cmd = decodeMessage(commandMessageSchema, topic, payload);
      } catch (err) {
        log.warn({ err, topic }, 'dropping a malformed command');
        return;
      }
      if (/[/+#]/.test(cmd.requestId)) {
        log.warn({ requestId: cmd.requestId }, 'dropping a command whose request id cannot be a topic level');
        return;
      }
      let body: Omit<ReplyMessage, 'v' | 'type' | 'sentAt' | 'requestId'>;
      try {
        body = await run(cmd);
      } catch (err) {
        const context = { command: cmd.command, ...(cmd.command === 'deleteVolume' ? { volume: cmd.volume } : { pod: `${cmd.namespace}/${cmd.pod}` }), requestId: cmd.requestId };
        // the agent's own refusals are expected answers; anything else is worth a stack trace
        if (err instanceof DroverError) log.info({ ...context, code: err.code, error: err.message }, 'command failed');
        else log.warn({ ...context, err }, 'command failed');
        body = { ok: false, error: (err as Error).message };
      }
      const reply: ReplyMessage = { v: 1, type: 'reply', sentAt: preciseTimestamp(clock()), requestId: cmd.requestId, ...body };
      await opts.publish(topics.nodeReply(opts.nodeName, cmd.requestId), reply);
    },
  };
}

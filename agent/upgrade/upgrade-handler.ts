/**
 * The agent's end of `drover fleet upgrade`: an upgradeAgent message on the node's cmd topic installs the
 * bundle (installer.ts) and is answered ok once P/current points at it, or with the reason it was refused;
 * then the agent restarts into the new version (`restart`: exit with RESTART_EXIT_CODE). A repeat of the
 * message while that version is being installed waits for the same install. On connecting, an agent running
 * the version on trial confirms it (removes the marker): the device keeps it.
 */
import { readFile } from 'node:fs/promises';
import { DroverError } from '../../protocol/errors.js';
import type { Logger } from '../../protocol/logger.js';
import { decodeMessage, upgradeAgentMessageSchema, type ReplyMessage, type UpgradeAgentMessage } from '../../protocol/messages.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { topics } from '../../protocol/topics.js';
import { createExecaRunner, type ProcessRunner } from '../../runtime-adapters/process-runner.js';
import { UpgradeRefusedError } from '../errors.js';
import { installBundle, type InstallBundleOptions } from './installer.js';
import { clearTrial, readTrial } from './trial-marker.js';

export interface UpgradeHandlerOptions {
  nodeName: string;
  /** The install prefix, when the agent runs from one (prefix.ts findPrefix). */
  prefix: string | undefined;
  /** The hub's HTTPS "host:port" and the file of its CA, when known. */
  hub: { host: string; caFile: string } | undefined;
  publish: (topic: string, message: ReplyMessage) => Promise<void>;
  /** Called once the reply went out: stop and exit so the new version starts. */
  restart: () => void;
  logger: Logger;
  clock?: () => number;
  run?: ProcessRunner;
  /** Replaces the HTTPS download (tests). */
  download?: InstallBundleOptions['download'];
}

export interface UpgradeHandler {
  handle(topic: string, payload: Buffer | string): Promise<void>;
  /** The agent is connected and reporting: confirm the version on trial if it is this one. */
  confirm(ownVersion: string | undefined): Promise<void>;
}

/** True when a cmd-topic payload is an upgradeAgent message (the pod commands are type "command"). */
export function isUpgradeMessage(payload: Buffer | string): boolean {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  return /"type"\s*:\s*"upgradeAgent"/.test(text);
}

export function createUpgradeHandler(opts: UpgradeHandlerOptions): UpgradeHandler {
  const log = opts.logger.child({ component: 'agent-upgrade' });
  const clock = opts.clock ?? Date.now;
  let inFlight: { version: string; done: Promise<void> } | undefined;
  let restarting = false;

  async function install(msg: UpgradeAgentMessage): Promise<void> {
    if (restarting) throw new UpgradeRefusedError('the agent is restarting into a new version already');
    if (!opts.prefix) throw new UpgradeRefusedError('this agent does not run from an install prefix (P/versions/<v>/agent/main.js): it cannot be upgraded from the hub');
    if (!opts.hub) throw new UpgradeRefusedError("the hub's HTTPS address is not known (a plain-MQTT hub, or --image-hub not given): the bundle cannot be fetched");
    let caPem: string;
    try {
      caPem = await readFile(opts.hub.caFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new UpgradeRefusedError(`no hub CA was pinned at join (${opts.hub.caFile}: the node joined over plain MQTT): a bundle's signature cannot be checked`);
    }
    await installBundle({
      prefix: opts.prefix,
      bundle: msg.bundle,
      readyDeadlineSeconds: msg.readyDeadlineSeconds,
      hubHost: opts.hub.host,
      caPem,
      run: opts.run ?? createExecaRunner(),
      logger: opts.logger,
      clock,
      ...(opts.download ? { download: opts.download } : {}),
    });
  }

  return {
    async handle(topic, payload) {
      let msg: UpgradeAgentMessage;
      try {
        msg = decodeMessage(upgradeAgentMessageSchema, topic, payload);
      } catch (err) {
        log.warn({ err, topic }, 'dropping a malformed upgrade command');
        return;
      }
      if (/[/+#]/.test(msg.requestId)) {
        log.warn({ requestId: msg.requestId }, 'dropping an upgrade command whose request id cannot be a topic level');
        return;
      }
      let body: Pick<ReplyMessage, 'ok' | 'error' | 'output'>;
      try {
        if (inFlight && inFlight.version !== msg.bundle.version) throw new UpgradeRefusedError(`an upgrade to ${inFlight.version} is in progress`);
        if (!inFlight) {
          const done = install(msg);
          inFlight = { version: msg.bundle.version, done };
          done.catch(() => undefined).finally(() => (inFlight = undefined));
        }
        await inFlight.done;
        restarting = true;
        body = { ok: true, output: `agent ${msg.bundle.version} installed; restarting into it` };
      } catch (err) {
        if (err instanceof DroverError) log.warn({ code: err.code, error: err.message, version: msg.bundle.version }, 'agent upgrade failed');
        else log.error({ err, version: msg.bundle.version }, 'agent upgrade failed');
        body = { ok: false, error: (err as Error).message };
      }
      const reply: ReplyMessage = { v: 1, type: 'reply', sentAt: preciseTimestamp(clock()), requestId: msg.requestId, ...body };
      try {
        await opts.publish(topics.nodeReply(opts.nodeName, msg.requestId), reply);
      } finally {
        if (body.ok) opts.restart();
      }
    },
    async confirm(ownVersion) {
      if (!opts.prefix || !ownVersion) return;
      const trial = await readTrial(opts.prefix);
      if (!trial || trial.version !== ownVersion) return;
      await clearTrial(opts.prefix);
      log.info({ version: ownVersion, previousVersion: trial.previousVersion }, 'agent upgrade confirmed: this version is up and stays');
    },
  };
}

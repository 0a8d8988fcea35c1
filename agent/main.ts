#!/usr/bin/env node
/**
 * The agent's entry point (dist/agent/main.js), started by `drover agent ...` or directly on a device.
 * Runs until SIGINT/SIGTERM, then publishes presence offline, disconnects and exits 0 without stopping
 * pods: they keep running and a restarted agent adopts them.
 */
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { hideSecretArgs } from '../protocol/argv-secrets.js';
import { createRootLogger, type Logger } from '../protocol/logger.js';
import { createRuntime, detectRuntime, RuntimeNotFoundError } from '../runtime-adapters/index.js';
import { createAgent } from './agent.js';
import { parseAgentArgs, type AgentCliOptions } from './cli.js';
import { findPrefix } from './upgrade/prefix.js';
import { beginBoot, rollBack } from './upgrade/rollback.js';
import { RESTART_EXIT_CODE, SUPERVISED_ENV } from './upgrade/supervisor.js';
import { readTrial } from './upgrade/trial-marker.js';

/**
 * Without a supervisor (systemd runs main.js itself, Restart=always): this start counts as one of the trial's,
 * a trial past its deadline or started too often is rolled back now (exit: systemd starts P/previous's code),
 * and a timer rolls back at the deadline if the agent has not confirmed by then. With a supervisor, it does this.
 */
async function watchOwnTrial(prefix: string, logger: Logger): Promise<void> {
  const boot = await beginBoot(prefix);
  if (boot.state === 'rolledBack') {
    logger.error({ version: boot.trial.version, restored: boot.trial.previousVersion, reason: boot.reason }, 'rolled back the agent upgrade; restarting');
    logger.flush();
    process.exit(RESTART_EXIT_CODE);
  }
  if (boot.state !== 'trial') return;
  const { trial } = boot;
  setTimeout(() => {
    void readTrial(prefix).then(async (still) => {
      if (!still || still.version !== trial.version) return;
      await rollBack(prefix, still, `agent ${still.version} was not up within ${still.readyDeadlineSeconds} s`);
      logger.error({ version: still.version, restored: still.previousVersion }, 'the agent is not up in time: rolled back; restarting');
      logger.flush();
      process.exit(RESTART_EXIT_CODE);
    });
  }, Math.max(0, trial.deadline - Date.now())).unref();
}

function fail(logger: Logger | undefined, message: string, err?: unknown, code = 1): never {
  if (logger && err) logger.error({ err }, message);
  logger?.flush();
  process.stderr.write(`drover agent: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  // a --token on the command line is masked in /proc/PID/cmdline from here on (it was readable until now)
  const tokenWasVisible = hideSecretArgs();
  let options: AgentCliOptions;
  try {
    options = parseAgentArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    fail(undefined, (err as Error).message, undefined, 2);
  }
  const logger = createRootLogger().child({ component: 'agent-main' });
  if (tokenWasVisible) {
    logger.warn('the join token was given with --token, where every local user can read it (ps); it is masked now, but use --token-file or DROVER_JOIN_TOKEN');
  }

  const prefix = findPrefix(process.argv[1]);
  if (prefix && !process.env[SUPERVISED_ENV]) await watchOwnTrial(prefix, logger);
  // set once the agent exists: an upgrade installed, stop (pods keep running) and exit for the new version to start
  let restartIntoNewVersion = (): void => undefined;

  const runtimeName = options.runtime ?? (await detectRuntime(logger));
  if (!runtimeName) fail(logger, new RuntimeNotFoundError('neither `ctr version` nor `docker version` reached a daemon').message);
  const runtime = await createRuntime(runtimeName, { logger, stateDir: join(options.dataDir, 'containerd') });
  try {
    await runtime.version();
  } catch (err) {
    fail(logger, `the ${runtimeName} runtime does not answer: ${(err as Error).message}`, err);
  }

  const agent = await createAgent({
    hubUrl: options.hubUrl,
    token: options.token,
    name: options.name,
    labels: options.labels,
    runtime,
    dataDir: options.dataDir,
    logger,
    statusIntervalMs: options.statusIntervalMs,
    statusRefreshMs: options.statusRefreshMs,
    ...(options.podNetwork ? {} : { network: false as const }),
    ...(options.imageHub ? { imageHub: options.imageHub } : {}),
    upgrade: { prefix, restart: () => restartIntoNewVersion() },
  });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while stopping: exiting now');
      logger.flush();
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping the agent (pods keep running)');
    agent.stop().then(
      () => {
        logger.flush();
        process.exit(0);
      },
      (err: unknown) => fail(logger, `error while stopping: ${(err as Error).message}`, err),
    );
  };
  restartIntoNewVersion = () => {
    if (stopping) return;
    stopping = true;
    logger.info('restarting into the newly installed agent version (pods keep running)');
    agent.stop().then(
      () => {
        logger.flush();
        process.exit(RESTART_EXIT_CODE);
      },
      (err: unknown) => fail(logger, `error while stopping for the upgrade: ${(err as Error).message}`, err, RESTART_EXIT_CODE),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  try {
    await agent.start();
  } catch (err) {
    fail(logger, (err as Error).message, err);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`drover agent: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

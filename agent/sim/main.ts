#!/usr/bin/env node
/**
 * The fleet simulator's entry point (dist/agent/sim/main.js), started by `drover sim ...`. Runs the
 * nodes until SIGINT/SIGTERM, then stops them as agents stop (presence offline, disconnect) and exits
 * 0; with --kill-like it exits at once instead, without a word to the hub, which then sees every
 * node's last will as after SIGKILL. Progress lines go to stdout (progress.ts), logs to stderr
 * (level from DROVER_LOG_LEVEL, default warn: ten thousand nodes saying "connected" is noise).
 */
import { readFile } from 'node:fs/promises';
import { CommanderError } from 'commander';
import { createRootLogger, type Logger } from '../../protocol/logger.js';
import { createSimFleet } from './fleet.js';
import { parseSimArgs, type SimOptions } from './options.js';
import { formatProgress, type ProgressKind } from './progress.js';

function fail(logger: Logger | undefined, message: string, err?: unknown, code = 1): never {
  if (logger && err) logger.error({ err }, message);
  logger?.flush();
  process.stderr.write(`drover sim: ${message}\n`);
  process.exit(code);
}

/** The soft limit on open files, from /proc (Node has no getrlimit). */
async function openFileLimit(): Promise<number | undefined> {
  const text = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const soft = /^Max open files\s+(\d+)/m.exec(text)?.[1];
  return soft === undefined ? undefined : Number(soft);
}

async function main(): Promise<void> {
  let options: SimOptions;
  try {
    options = parseSimArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    fail(undefined, (err as Error).message, undefined, 2);
  }
  const logger = createRootLogger({ level: process.env.DROVER_LOG_LEVEL ?? 'warn' }).child({ component: 'sim' });
  const limit = await openFileLimit();
  // one socket per node, plus joins in flight and what Node itself holds
  const needed = options.nodes + options.joinConcurrency + 64;
  if (limit !== undefined && limit < needed) {
    logger.warn({ limit, needed }, `the open-file limit (ulimit -n ${limit}) is below what ${options.nodes} nodes need: raise it or run fewer nodes per process`);
  }

  const fleet = createSimFleet({ ...options, logger });
  const started = performance.now();
  const print = (kind: ProgressKind): void => {
    const stats = fleet.stats();
    const t = Math.round((performance.now() - started) / 100) / 10;
    const rssMib = Math.round(process.memoryUsage.rss() / 2 ** 20);
    process.stdout.write(`${formatProgress({ kind, t, rssMib, ...stats })}\n`);
  };
  let up = false;
  const progress = setInterval(() => {
    if (options.progressIntervalMs > 0) print('sim-progress');
    if (!up && fleet.stats().everConnected === options.nodes) {
      up = true;
      print('sim-up');
    }
  }, options.progressIntervalMs > 0 ? options.progressIntervalMs : 1000);

  let stopping = false;
  let stoppingSince = 0;
  const shutdown = (signal: NodeJS.Signals): void => {
    // A signal to the process group arrives twice (once directly, once forwarded by the `drover sim`
    // launcher): only a second signal a moment later means "now".
    if (stopping && performance.now() - stoppingSince < 1000) return;
    if (stopping || options.killLike) {
      // --kill-like, or a second signal: the sockets close with the process, no DISCONNECT is sent
      logger.warn({ signal, killLike: options.killLike }, 'exiting without disconnecting: the hub sees the last wills');
      logger.flush();
      process.exit(stopping ? 1 : 0);
    }
    stopping = true;
    stoppingSince = performance.now();
    clearInterval(progress);
    logger.info({ signal }, 'stopping the simulated nodes');
    fleet.stop().then(
      () => {
        print('sim-stopped');
        logger.flush();
        process.exit(0);
      },
      (err: unknown) => fail(logger, `error while stopping: ${(err as Error).message}`, err),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  logger.info({ nodes: options.nodes, first: options.startIndex, hub: options.hubUrl }, 'simulator starting');
  fleet.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`drover sim: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

/**
 * The commands that program the node's network (ip, bridge, nft, docker), run with argument arrays through
 * the runtime adapters' ProcessRunner (execa, never a shell). Reads are logged at debug, changes at info;
 * a failed change is a NetworkCommandError with the command's own words.
 */
import type { Logger } from '../../protocol/logger.js';
import type { ProcessResult, ProcessRunner } from '../../runtime-adapters/process-runner.js';
import { NetworkCommandError } from '../errors.js';

export interface NetCommands {
  /** Run and return the result whatever the exit code (spawn failures throw). */
  run(file: string, args: string[], input?: string): Promise<ProcessResult>;
  /** A read: its stdout; a non-zero exit throws. */
  read(file: string, args: string[]): Promise<string>;
  /** A change: logged at info; a non-zero exit throws. */
  change(file: string, args: string[], input?: string): Promise<void>;
  /** JSON output of a read (`ip -j ...`); empty output is []. */
  json<T>(file: string, args: string[]): Promise<T>;
}

export function createNetCommands(opts: { run: ProcessRunner; logger: Logger }): NetCommands {
  const log = opts.logger;
  async function run(file: string, args: string[], input?: string): Promise<ProcessResult> {
    const result = await opts.run(file, args, input === undefined ? {} : { input });
    if (result.spawnError) {
      throw new NetworkCommandError([file, ...args], `cannot run ${file}: ${result.spawnError.code ?? result.spawnError.message}`, undefined, {
        cause: result.spawnError,
      });
    }
    return result;
  }
  async function read(file: string, args: string[]): Promise<string> {
    log.debug({ command: [file, ...args] }, 'network read');
    const result = await run(file, args);
    if (result.exitCode !== 0) throw new NetworkCommandError([file, ...args], result.stderr, result.exitCode);
    return result.stdout;
  }
  return {
    run,
    read,
    async change(file, args, input) {
      log.info({ command: [file, ...args] }, 'network change');
      const result = await run(file, args, input);
      if (result.exitCode !== 0) throw new NetworkCommandError([file, ...args], result.stderr, result.exitCode);
    },
    async json<T>(file: string, args: string[]): Promise<T> {
      const text = (await read(file, args)).trim();
      return (text ? JSON.parse(text) : []) as T;
    },
  };
}

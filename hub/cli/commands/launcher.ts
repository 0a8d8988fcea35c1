/**
 * What `drover agent` and `drover sim` share: each launches its own entry point as a child with
 * inherited stdio, forwards SIGINT/SIGTERM to it and exits with its code; its options go through
 * untouched (the child parses and documents them).
 */
import type { ChildProcess } from 'node:child_process';
import type { Command } from 'commander';
import { exitCodeOf } from '../agent-process.js';
import { ExitRequest } from '../errors.js';
import type { CliIO } from '../io.js';

/** Wait for `child` to exit, forwarding the signals the CLI gets; resolves with its exit code. */
export async function runUntilExit(child: ChildProcess, io: CliIO): Promise<number> {
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null) child.kill(signal);
  };
  const stop = io.onInterrupt(forward);
  try {
    return await exitCodeOf(child);
  } finally {
    stop();
  }
}

/** A command whose arguments all go to `run` (the child's own parser answers --help). */
export function registerLauncher(program: Command, spec: { name: string; description: string; what: string; run: (args: string[]) => Promise<number> }): void {
  program
    .command(spec.name)
    .description(spec.description)
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .allowExcessArguments()
    .argument('[args...]', `the ${spec.what}'s options (see drover ${spec.name} --help)`)
    .action(async (args: string[]) => {
      const code = await spec.run(args);
      if (code !== 0) throw new ExitRequest(code);
    });
}

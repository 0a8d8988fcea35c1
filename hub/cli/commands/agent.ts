/**
 * `drover agent --hub URL --token-file F [--name N] [--runtime docker|containerd] [--data-dir D]`:
 * runs the agent's own entry point as a child with inherited stdio, forwards SIGINT/SIGTERM, and exits
 * with its code. Options are passed through untouched (the agent parses and documents them), but for
 * `--token T`: it is masked in this process's title and goes to the agent through a pipe, never its argv.
 * main.ts runs `runAgent` directly for `drover agent ...` without building the whole program, so the
 * launcher that waits for the agent for its whole life holds none of the hub's modules.
 */
import type { Command } from 'commander';
import { hideSecretArgs, takeSecretArg } from '../../../protocol/argv-secrets.js';
import { spawnAgent } from '../agent-process.js';
import { registerLauncher, runUntilExit } from './launcher.js';
import type { CliIO } from '../io.js';

/** Run the agent process with these arguments until it exits; resolves with its exit code. */
export async function runAgent(args: string[], io: CliIO): Promise<number> {
  // A --token typed on the command line: masked in this launcher's own /proc/PID/cmdline, and handed to the
  // agent through a pipe (agent-process.ts), not in its argv.
  const { rest, value: token } = takeSecretArg(args, '--token');
  if (token !== undefined && hideSecretArgs()) {
    io.err('warning: --token is readable by every local user while a command runs; use --token-file FILE or DROVER_JOIN_TOKEN\n');
  }
  return runUntilExit(spawnAgent(rest, { env: io.env, ...(token === undefined ? {} : { token }) }), io);
}

export function registerAgentCommand(program: Command, io: CliIO): void {
  registerLauncher(program, {
    name: 'agent',
    description: 'run the node agent: drover agent --hub mqtt://HUB:1883 --token-file F [--name N] [--runtime docker|containerd] [--data-dir D]',
    what: 'agent',
    run: (args) => runAgent(args, io),
  });
}

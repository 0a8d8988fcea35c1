/**
 * `drover agent --hub URL --token T [--name N] [--runtime docker|containerd] [--data-dir D]`:
 * runs the agent's own entry point as a child with inherited stdio, forwards SIGINT/SIGTERM, and exits
 * with its code. Options are passed through untouched (the agent parses and documents them).
 */
import type { Command } from 'commander';
import { exitCodeOf, spawnAgent } from '../agent-process.js';
import { ExitRequest } from '../errors.js';
import type { CliIO } from '../io.js';

export function registerAgentCommand(program: Command, io: CliIO): void {
  program
    .command('agent')
    .description('run the node agent: drover agent --hub mqtt://HUB:1883 --token T [--name N] [--runtime docker|containerd] [--data-dir D]')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .allowExcessArguments()
    .argument('[args...]', 'the agent\'s options (see drover agent --help)')
    .action(async (args: string[]) => {
      const child = spawnAgent(args, { env: io.env });
      const forward = (signal: NodeJS.Signals) => {
        if (child.exitCode === null) child.kill(signal);
      };
      const stop = io.onInterrupt(forward);
      try {
        const code = await exitCodeOf(child);
        if (code !== 0) throw new ExitRequest(code);
      } finally {
        stop();
      }
    });
}

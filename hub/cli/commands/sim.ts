/**
 * `drover sim --hub URL --token T --nodes N [--name-prefix sim-] [--pods-per-node P] [--status-interval S]
 * [--running-after MS] [--data-dir D] [--start-index K] ...`: the fleet simulator (agent/sim), many
 * hollow nodes in one process speaking the agent's protocol. Like `drover agent`, it runs the
 * simulator's own entry point as a child with inherited stdio (the CLI never imports agent code),
 * forwards SIGINT/SIGTERM and exits with its code; the options go through untouched (the simulator
 * parses and documents them: drover sim --help). Progress lines on stdout: agent/sim/README.md.
 */
import type { Command } from 'commander';
import { exitCodeOf, spawnSim } from '../agent-process.js';
import { ExitRequest } from '../errors.js';
import type { CliIO } from '../io.js';

/** Run the simulator process with these arguments until it exits; resolves with its exit code. */
export async function runSim(args: string[], io: CliIO): Promise<number> {
  const child = spawnSim(args, { env: io.env });
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

export function registerSimCommand(program: Command, io: CliIO): void {
  program
    .command('sim')
    .description('simulate a fleet: drover sim --hub mqtt://HUB:1883 --token T --nodes N [--name-prefix sim-] [--pods-per-node P] [--status-interval S] [--running-after MS] [--data-dir D] [--start-index K]')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .allowExcessArguments()
    .argument('[args...]', 'the simulator\'s options (see drover sim --help)')
    .action(async (args: string[]) => {
      const code = await runSim(args, io);
      if (code !== 0) throw new ExitRequest(code);
    });
}

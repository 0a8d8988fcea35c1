/**
 * `drover sim --hub URL --token T --nodes N [--name-prefix sim-] [--pods-per-node P] [--status-interval S]
 * [--running-after MS] [--data-dir D] [--start-index K] ...`: the fleet simulator (agent/sim), many
 * hollow nodes in one process speaking the agent's protocol. Like `drover agent`, it runs the
 * simulator's own entry point as a child with inherited stdio (the CLI never imports agent code),
 * forwards SIGINT/SIGTERM and exits with its code; the options go through untouched (the simulator
 * parses and documents them: drover sim --help). Progress lines on stdout: agent/sim/README.md.
 */
import type { Command } from 'commander';
import { spawnSim } from '../agent-process.js';
import { registerLauncher, runUntilExit } from './launcher.js';
import type { CliIO } from '../io.js';

/** Run the simulator process with these arguments until it exits; resolves with its exit code. */
export async function runSim(args: string[], io: CliIO): Promise<number> {
  return runUntilExit(spawnSim(args, { env: io.env }), io);
}

export function registerSimCommand(program: Command, io: CliIO): void {
  registerLauncher(program, {
    name: 'sim',
    description: 'simulate a fleet: drover sim --hub mqtt://HUB:1883 --token T --nodes N [--name-prefix sim-] [--pods-per-node P] [--status-interval S] [--running-after MS] [--data-dir D] [--start-index K]',
    what: 'simulator',
    run: (args) => runSim(args, io),
  });
}

/**
 * `drover sim`: the CLI passes every option through to the simulator's own entry point, which it starts
 * as a child (never importing agent code), and ends with the child's exit code.
 */
import { describe, expect, it } from 'vitest';
import { simEntry } from '../../../hub/cli/agent-process.js';
import { runSim } from '../../../hub/cli/commands/sim.js';
import { captureIO } from '../../../hub/cli/io.js';

describe('drover sim', () => {
  it('passes every option through to the simulator', async () => {
    const { buildProgram } = await import('../../../hub/cli/program.js');
    const program = buildProgram(captureIO());
    const sim = program.commands.find((c) => c.name() === 'sim')!;
    let received: string[] = [];
    sim.action((args: string[]) => {
      received = args;
    });
    const args = ['--hub', 'mqtt://h:1883', '--token', 'drover-join.a.b', '--nodes', '3', '--kill-like', '--help'];
    await program.parseAsync(['sim', ...args], { from: 'user' });
    expect(received).toEqual(args);
  });

  it('runs the simulator entry point as a child and returns its exit code', async () => {
    expect(simEntry().nodeArgs.at(-1)).toMatch(/agent\/sim\/main\.(js|ts)$/);
    const io = captureIO({ env: process.env });
    expect(await runSim(['--help'], io)).toBe(0);
    // a missing --hub: the simulator's own usage error, its exit code
    expect(await runSim(['--nodes', '2'], io)).not.toBe(0);
  });
});

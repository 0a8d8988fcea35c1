/**
 * The `drover` command line: buildProgram() assembles the commander program (tests call its
 * parseAsync with captured output); runCli() runs it and turns any error into one `error: ...` line
 * and exit code 1 (the stack only with DROVER_DEBUG=1).
 */
import { Command, CommanderError } from 'commander';
import { registerAgentCommand } from './commands/agent.js';
import { registerApplyCommand } from './commands/apply.js';
import { registerCreateCommand } from './commands/create.js';
import { registerCordonCommands } from './commands/cordon.js';
import { registerDeleteCommand } from './commands/delete.js';
import { registerDescribeCommand } from './commands/describe.js';
import { registerDrainCommand } from './commands/drain.js';
import { registerFlashCommand } from './commands/flash.js';
import { registerGetCommand } from './commands/get.js';
import { registerHubCommand } from './commands/hub.js';
import { registerKubeconfigCommand } from './commands/kubeconfig.js';
import { registerNodeCommand } from './commands/node.js';
import { registerTokenCommand } from './commands/token.js';
import { registerImageCommand } from './commands/image.js';
import { registerUpCommand } from './commands/up.js';
import { registerExecCommand } from './commands/exec.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerRolloutCommand } from './commands/rollout.js';
import { registerScaleCommand } from './commands/scale.js';
import { registerAutoscaleCommand } from './commands/autoscale.js';
import { registerExposeCommand } from './commands/expose.js';
import { registerSetCommand } from './commands/set.js';
import { registerSimCommand } from './commands/sim.js';
import { registerTopCommand } from './commands/top.js';
import { registerWaitCommand } from './commands/wait.js';
import { ExitRequest } from './errors.js';
import { applyContextNamespace } from './shared.js';
import { processIO, type CliIO } from './io.js';

export const CLI_VERSION = '0.1.0';

export function buildProgram(io: CliIO = processIO()): Command {
  const program = new Command('drover')
    .description('Kubernetes-style orchestration for fleets of edge machines')
    .version(CLI_VERSION)
    .option('--server <url>', 'the hub API (default: $DROVER_SERVER, the kubeconfig context, the config file, https://127.0.0.1:7070)')
    .option('--token <token>', 'API token (default: $DROVER_TOKEN, the kubeconfig context, the config file)')
    .option('--kubeconfig <file>', 'read server, CA, token and namespace from this kubeconfig (default: $KUBECONFIG)')
    .option('--context <name>', 'the kubeconfig context to use (default: its current-context)')
    // Root options only before the subcommand, so `drover agent --token T` reaches the agent untouched;
    // each API command declares --server/--token itself too.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: () => undefined })
    .showHelpAfterError(false)
    .hook('preAction', (_program, action) => applyContextNamespace(action, io));
  registerHubCommand(program, io);
  registerUpCommand(program, io);
  registerAgentCommand(program, io);
  registerSimCommand(program, io);
  registerKubeconfigCommand(program, io);
  registerTokenCommand(program, io);
  registerImageCommand(program, io);
  registerNodeCommand(program, io);
  registerApplyCommand(program, io);
  registerCreateCommand(program, io);
  registerGetCommand(program, io);
  registerDescribeCommand(program, io);
  registerDeleteCommand(program, io);
  registerScaleCommand(program, io);
  registerAutoscaleCommand(program, io);
  registerExposeCommand(program, io);
  registerSetCommand(program, io);
  registerRolloutCommand(program, io);
  registerLogsCommand(program, io);
  registerExecCommand(program, io);
  registerTopCommand(program, io);
  registerWaitCommand(program, io);
  registerCordonCommands(program, io);
  registerDrainCommand(program, io);
  registerFlashCommand(program, io);
  return program;
}

/** Run with user arguments (no node/script prefix). Resolves to the exit code. */
export async function runCli(argv: string[], io: CliIO = processIO()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help, --version
      io.err(`${err.message.startsWith('error:') ? err.message : `error: ${err.message}`}\n`);
      return err.exitCode || 1;
    }
    if (err instanceof ExitRequest) return err.exitCode;
    const message = err instanceof Error ? err.message : String(err);
    // One `error:` line per problem (a manifest can have several).
    io.err(`${message.split('\n').map((line) => `error: ${line}`).join('\n')}\n`);
    if (io.env.DROVER_DEBUG === '1' && err instanceof Error) io.err(`${err.stack ?? ''}\n`);
    return 1;
  }
}

/**
 * `drover exec POD [-c CONTAINER] -- COMMAND [ARGS...]`: run a command in a pod's container through
 * the hub (POST .../pods/NAME/exec) and print its output. Not interactive: no stdin, no TTY; stdout
 * and stderr come back together once the command ends. Exits with the command's exit code.
 */
import type { Command } from 'commander';
import { kindByName } from '../../../protocol/kinds.js';
import { resourcePath } from '../client.js';
import { ExitRequest, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { clientFor, parseDuration, withConnectionOptions } from '../shared.js';
import { podNameArg } from './logs.js';

interface ExecAnswer {
  output?: string;
  stdout?: string;
  exitCode?: number;
}

export function registerExecCommand(program: Command, io: CliIO): void {
  withConnectionOptions(program.command('exec'))
    .description("run a command in a pod's container and print its output (not interactive)")
    .argument('<pod>', 'POD or pod/POD')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('-c, --container <name>', 'the container (needed when the pod has several)')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .option('--timeout <duration>', 'stop the command after this long (default 60s, at most 1h)')
    .option('-i, --stdin', 'not supported: Drover exec has no stdin')
    .option('-t, --tty', 'not supported: Drover exec has no TTY')
    .action(async (podArg: string, command: string[], flags: { container?: string; namespace?: string; timeout?: string; stdin?: boolean; tty?: boolean }, cmd: Command) => {
      if (flags.stdin || flags.tty) {
        throw new UsageError('interactive exec (-i/-t) is not supported: Drover runs the command to completion and prints its output; drop -i/-t');
      }
      const timeoutSeconds = flags.timeout === undefined ? undefined : Math.ceil(parseDuration(flags.timeout));
      if (timeoutSeconds !== undefined && (timeoutSeconds < 1 || timeoutSeconds > 3600)) throw new UsageError('--timeout must be between 1s and 1h');
      const info = kindByName('Pod')!;
      const path = `${resourcePath(info, flags.namespace ?? 'default', podNameArg(podArg))}/exec`;
      const answer = await clientFor(cmd, io).request<ExecAnswer>('POST', path, {
        body: { command, ...(flags.container ? { container: flags.container } : {}), ...(timeoutSeconds ? { timeoutSeconds } : {}) },
      });
      io.out(answer.output ?? answer.stdout ?? '');
      const code = answer.exitCode ?? 0;
      if (code !== 0) {
        io.err(`command terminated with exit code ${code}\n`);
        throw new ExitRequest(code);
      }
    });
}

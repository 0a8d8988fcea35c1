/**
 * `drover logs POD [-c CONTAINER] [--tail N] [-p] [-n NS]`: the pod's output, fetched by the hub from
 * the agent of the pod's node (GET .../pods/NAME/log). Whole, not streamed: there is no -f.
 */
import type { Command } from 'commander';
import { kindByName } from '../../../protocol/kinds.js';
import { resourcePath } from '../client.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { clientFor, splitKindName, withConnectionOptions } from '../shared.js';

/** "web" or "pod/web" -> "web". */
export function podNameArg(arg: string): string {
  const slashed = splitKindName(arg);
  if (!slashed) return arg;
  if (slashed[0].kind !== 'Pod') throw new UsageError(`only pods can be named here, not ${slashed[0].plural}: use POD or pod/POD`);
  return slashed[1];
}

export function registerLogsCommand(program: Command, io: CliIO): void {
  withConnectionOptions(program.command('logs'))
    .description("print a pod's container output (fetched from its node; not streamed)")
    .argument('<pod>', 'POD or pod/POD')
    .option('-c, --container <name>', 'the container (needed when the pod has several)')
    .option('--tail <n>', 'only the last N lines')
    .option('-p, --previous', "the previous instance's output (not kept by Drover agents)")
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .action(async (podArg: string, flags: { container?: string; tail?: string; previous?: boolean; namespace?: string }, cmd: Command) => {
      let tail: number | undefined;
      if (flags.tail !== undefined) {
        tail = Number(flags.tail);
        // kubectl's --tail=-1 means "everything"
        if (tail === -1) tail = undefined;
        else if (!Number.isInteger(tail) || tail < 0) throw new UsageError(`--tail must be a non-negative integer, not "${flags.tail}"`);
      }
      const info = kindByName('Pod')!;
      const path = `${resourcePath(info, flags.namespace ?? 'default', podNameArg(podArg))}/log`;
      const text = await clientFor(cmd, io).requestText('GET', path, {
        query: { container: flags.container, tailLines: tail, previous: flags.previous ? 'true' : undefined },
      });
      io.out(text);
    });
}

/**
 * `drover wait --for=condition=NAME[=VALUE] KIND/NAME... [--timeout=30s]` and `--for=delete`, as
 * kubectl wait: the condition's name matched without regard to case, its status "True" unless given;
 * prints `job.batch/x condition met` (or `deleted`) per object; a timeout is an error naming the
 * objects still waited for (kubectl's "timed out waiting for the condition on jobs/x").
 */
import type { Command } from 'commander';
import type { KindInfo } from '../../../protocol/kinds.js';
import type { KubeObject } from '../../../protocol/objects/meta.js';
import { resourcePath } from '../client.js';
import { ServerError, TimeoutError, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { qualifiedName } from '../printers.js';
import { clientFor, namespaceFor, parseDuration, resolveKinds, sleep, splitKindName, withConnectionOptions } from '../shared.js';

const POLL_MS = 500;

type WaitFor = { type: 'delete' } | { type: 'condition'; name: string; status: string };

export function parseWaitFor(text: string): WaitFor {
  if (text === 'delete') return { type: 'delete' };
  const m = /^condition=([^=]+)(?:=(.+))?$/.exec(text);
  if (!m) throw new UsageError(`unrecognized condition: "${text}": use --for=condition=NAME[=VALUE] or --for=delete`);
  return { type: 'condition', name: m[1]!.toLowerCase(), status: (m[2] ?? 'True').toLowerCase() };
}

function met(obj: KubeObject, want: Extract<WaitFor, { type: 'condition' }>): boolean {
  const conditions = (obj as { status?: { conditions?: Array<{ type: string; status: string }> } }).status?.conditions ?? [];
  return conditions.some((c) => c.type.toLowerCase() === want.name && c.status.toLowerCase() === want.status);
}

function targets(args: string[]): Array<[KindInfo, string]> {
  const slashed = args.map(splitKindName);
  if (slashed.every((s) => s !== undefined)) return slashed as Array<[KindInfo, string]>;
  const [info] = resolveKinds(args[0]!);
  if (args.length < 2) throw new UsageError(`wait: name the object, e.g. ${info!.singular}/NAME`);
  return args.slice(1).map((name) => [info!, name]);
}

export function registerWaitCommand(program: Command, io: CliIO): void {
  withConnectionOptions(program.command('wait'))
    .description('wait until objects have a condition (or are deleted), e.g. wait --for=condition=complete job/backup')
    .argument('<objects...>', 'KIND/NAME..., or KIND NAME...')
    .requiredOption('--for <what>', 'condition=NAME[=VALUE], or delete')
    .option('--timeout <duration>', 'how long to wait, e.g. 120s', '30s')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .action(async (args: string[], flags: { for: string; timeout: string; namespace?: string }, cmd: Command) => {
      const want = parseWaitFor(flags.for);
      const deadline = Date.now() + parseDuration(flags.timeout) * 1000;
      const client = clientFor(cmd, io);
      for (const [info, name] of targets(args)) {
        const path = resourcePath(info, namespaceFor(info, flags.namespace), name);
        const label = qualifiedName({ apiVersion: info.apiVersion, kind: info.kind, metadata: { name } });
        for (;;) {
          let obj: KubeObject | undefined;
          try {
            obj = await client.request<KubeObject>('GET', path);
          } catch (err) {
            if (!(err instanceof ServerError && err.httpStatus === 404)) throw err;
            if (want.type === 'condition') throw err;
          }
          if (want.type === 'delete' && obj === undefined) {
            io.out(`${label} deleted\n`);
            break;
          }
          if (want.type === 'condition' && obj && met(obj, want)) {
            io.out(`${label} condition met\n`);
            break;
          }
          if (Date.now() >= deadline) throw new TimeoutError(`timed out waiting for the condition on ${info.plural}/${name}`);
          await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
        }
      }
    });
}

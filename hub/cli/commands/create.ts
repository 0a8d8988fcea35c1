/**
 * `drover create configmap NAME --from-literal k=v --from-file [key=]path [-n NS]`,
 * `drover create secret generic NAME --from-literal ... --from-file ... [--type T] [-n NS]`,
 * `drover create namespace NAME`, `drover create job NAME --from=cronjob/CJ` (as kubectl: the CronJob's job
 * template, annotation cronjob.kubernetes.io/instantiate=manual, owned by the CronJob) or `--image IMG [-- CMD...]`. Prints `configmap/NAME created`; `--dry-run=client -o yaml|json`
 * prints the object instead of creating it, as kubectl does.
 */
import type { Command } from 'commander';
import { kindByName } from '../../../protocol/kinds.js';
import { validateObject } from '../../../protocol/manifest.js';
import type { KubeObject } from '../../../protocol/objects/meta.js';
import { resourcePath } from '../client.js';
import { configMapFrom, readConfigSources, secretFrom } from '../config-sources.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { qualifiedName, serialize } from '../printers.js';
import { clientFor, namespaceFor, splitKindName, withConnectionOptions } from '../shared.js';
import type { CronJob } from '../../../protocol/objects/cron-job.js';

interface CreateFlags {
  namespace?: string;
  fromLiteral: string[];
  fromFile: string[];
  type?: string;
  dryRun?: string;
  output?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

async function submit(cmd: Command, io: CliIO, object: Record<string, unknown>, flags: CreateFlags): Promise<void> {
  const obj = validateObject(object, `${String(object.kind)} "${String((object.metadata as { name?: string }).name)}"`) as KubeObject;
  if (flags.dryRun !== undefined && flags.dryRun !== 'none') {
    if (flags.dryRun !== 'client') throw new UsageError(`--dry-run must be "none" or "client" (server-side dry run is not supported)`);
    if (flags.output === 'json' || flags.output === 'yaml') io.out(serialize(obj, flags.output));
    else io.out(`${qualifiedName(obj)} created (dry run)\n`);
    return;
  }
  const info = kindByName(obj.kind)!;
  const client = clientFor(cmd, io);
  const created = await client.request<KubeObject>('POST', resourcePath(info, info.namespaced ? obj.metadata.namespace : undefined), { body: obj });
  if (flags.output === 'json' || flags.output === 'yaml') io.out(serialize(created, flags.output));
  else io.out(`${qualifiedName(created)} created\n`);
}

function withDataOptions(cmd: Command): Command {
  return withConnectionOptions(cmd)
    .option('--from-literal <key=value>', 'a key and its literal value (repeatable)', collect, [])
    .option('--from-file <[key=]path>', 'a file (key = its name unless given) or a directory of files (repeatable)', collect, [])
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .option('--dry-run <mode>', '"client": print the object instead of creating it')
    .option('-o, --output <format>', 'json or yaml: print the created object');
}

export function registerCreateCommand(program: Command, io: CliIO): void {
  const create = program.command('create').description('create a ConfigMap, Secret, Namespace or Job from the command line');

  withDataOptions(create.command('configmap').alias('cm'))
    .description('create a ConfigMap from literals and files')
    .argument('<name>')
    .action(async (name: string, flags: CreateFlags, cmd: Command) => {
      const entries = await readConfigSources(flags.fromLiteral, flags.fromFile);
      await submit(cmd, io, configMapFrom(name, flags.namespace ?? 'default', entries), flags);
    });

  const secret = create.command('secret').description('create a Secret (generic)');
  withDataOptions(secret.command('generic'))
    .description('create a Secret from literals and files; values are encrypted at rest on the hub')
    .argument('<name>')
    .option('--type <type>', 'the Secret type', 'Opaque')
    .action(async (name: string, flags: CreateFlags, cmd: Command) => {
      const entries = await readConfigSources(flags.fromLiteral, flags.fromFile);
      await submit(cmd, io, secretFrom(name, flags.namespace ?? 'default', flags.type ?? 'Opaque', entries), flags);
    });

  withConnectionOptions(create.command('job'))
    .description('create a Job from a CronJob (--from=cronjob/NAME) or an image (--image IMG [-- COMMAND...])')
    .argument('<name>')
    .argument('[command...]', 'the command of the container (with --image)')
    .option('--from <cronjob/NAME>', 'the CronJob whose job template to run now')
    .option('--image <image>', 'the image of the Job\'s one container')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .option('--dry-run <mode>', '"client": print the object instead of creating it')
    .option('-o, --output <format>', 'json or yaml: print the created object')
    .action(async (name: string, command: string[], flags: CreateFlags & { from?: string; image?: string }, cmd: Command) => {
      const namespace = flags.namespace ?? 'default';
      const rest = { ...flags, fromLiteral: [], fromFile: [] };
      if ((flags.from === undefined) === (flags.image === undefined)) throw new UsageError('create job: give either --from=cronjob/NAME or --image');
      if (flags.image !== undefined) {
        const container = { name, image: flags.image, ...(command.length ? { command } : {}) };
        const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace }, spec: { template: { spec: { restartPolicy: 'Never', containers: [container] } } } };
        return submit(cmd, io, job, rest);
      }
      const from = splitKindName(flags.from!);
      if (from?.[0].kind !== 'CronJob') throw new UsageError(`create job: --from must be cronjob/NAME, not "${flags.from}"`);
      const [info, cronName] = from;
      const cj = await clientFor(cmd, io).request<CronJob>('GET', resourcePath(info, namespaceFor(info, namespace), cronName));
      const t = cj.spec.jobTemplate;
      const job = {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name,
          namespace,
          annotations: { 'cronjob.kubernetes.io/instantiate': 'manual', ...(t.metadata?.annotations ?? {}) },
          ...(t.metadata?.labels ? { labels: t.metadata.labels } : {}),
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name, uid: cj.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
        },
        spec: t.spec,
      };
      await submit(cmd, io, job, rest);
    });

  withConnectionOptions(create.command('namespace').alias('ns'))
    .description('create a Namespace')
    .argument('<name>')
    .option('--dry-run <mode>', '"client": print the object instead of creating it')
    .option('-o, --output <format>', 'json or yaml: print the created object')
    .action(async (name: string, flags: CreateFlags, cmd: Command) => {
      await submit(cmd, io, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { ...flags, fromLiteral: [], fromFile: [] });
    });
}

/** `drover scale deployment NAME --replicas N` (or deployment/NAME, replicaset/NAME, statefulset/NAME): through the /scale subresource. */
import type { Command } from 'commander';
import { resourcePath } from '../client.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { clientFor, namespaceFor, targetObjects, withConnectionOptions } from '../shared.js';
import { qualifiedName } from '../printers.js';

export function registerScaleCommand(program: Command, io: CliIO): void {
  withConnectionOptions(program.command('scale'))
    .description('set the number of replicas of a deployment, replicaset or statefulset')
    .argument('<objects...>', 'deployment NAME, or deployment/NAME (also replicaset, statefulset)')
    .requiredOption('--replicas <n>', 'the new number of replicas')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .action(async (args: string[], flags: { replicas: string; namespace?: string }, cmd: Command) => {
      const replicas = Number(flags.replicas);
      if (!/^\d+$/.test(flags.replicas.trim()) || !Number.isSafeInteger(replicas)) {
        throw new UsageError(`--replicas must be a non-negative integer, not "${flags.replicas}"`);
      }
      const targets = targetObjects(args, ['Deployment', 'ReplicaSet', 'StatefulSet'], 'scale');
      const client = clientFor(cmd, io);
      for (const [info, name] of targets) {
        await client.request('PATCH', `${resourcePath(info, namespaceFor(info, flags.namespace), name)}/scale`, {
          body: { spec: { replicas } },
          contentType: 'application/merge-patch+json',
        });
        io.out(`${qualifiedName({ apiVersion: info.apiVersion, kind: info.kind, metadata: { name } })} scaled\n`);
      }
    });
}

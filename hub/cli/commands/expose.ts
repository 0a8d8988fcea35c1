/**
 * `drover expose deployment NAME --port P [--target-port T] [--type ClusterIP|NodePort|LoadBalancer]
 * [--name N] [--protocol TCP|UDP] [--node-port N] [-n NS]` (also daemonset, replicaset, pod): a Service
 * that selects what the object's pods carry, as kubectl expose makes it: the selector from
 * spec.selector.matchLabels (a pod's own labels), the target port the --target-port or the port.
 */
import type { Command } from 'commander';
import type { KubeObject } from '../../../protocol/objects/meta.js';
import { resolveResource } from '../../../protocol/kinds.js';
import { resourcePath } from '../client.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { clientFor, namespaceFor, targetObjects, withConnectionOptions } from '../shared.js';

interface ExposeFlags {
  port: string;
  targetPort?: string;
  type?: string;
  name?: string;
  protocol?: string;
  nodePort?: string;
  namespace?: string;
}

function portNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 65535) throw new UsageError(`${flag} must be a port number (1-65535), not "${text}"`);
  return n;
}

/** The labels the object's pods carry, as kubectl expose takes them. */
function selectorOf(obj: KubeObject): Record<string, string> {
  const spec = (obj as { spec?: { selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } } }).spec;
  if (obj.kind === 'Pod') {
    if (!obj.metadata.labels || Object.keys(obj.metadata.labels).length === 0) throw new UsageError(`pod ${obj.metadata.name} has no labels: nothing to select it by`);
    return obj.metadata.labels;
  }
  if (spec?.selector?.matchExpressions?.length) {
    throw new UsageError(`${obj.kind.toLowerCase()} ${obj.metadata.name} selects its pods with matchExpressions, which a Service selector cannot hold`);
  }
  const labels = spec?.selector?.matchLabels;
  if (!labels || Object.keys(labels).length === 0) throw new UsageError(`${obj.kind.toLowerCase()} ${obj.metadata.name} has no selector to expose`);
  return labels;
}

export function registerExposeCommand(program: Command, io: CliIO): void {
  withConnectionOptions(program.command('expose'))
    .description('make a Service for a deployment, daemonset, replicaset or pod')
    .argument('<objects...>', 'deployment NAME, or deployment/NAME (also daemonset, replicaset, pod)')
    .requiredOption('--port <port>', 'the port the Service serves')
    .option('--target-port <port>', "the port (number or name) on the pods (default: --port)")
    .option('--type <type>', 'ClusterIP, NodePort or LoadBalancer (default ClusterIP)')
    .option('--name <name>', "the Service's name (default: the object's)")
    .option('--protocol <protocol>', 'TCP or UDP (default TCP)')
    .option('--node-port <port>', 'the nodePort, for NodePort and LoadBalancer Services (default: allocated)')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .action(async (args: string[], flags: ExposeFlags, cmd: Command) => {
      const port = portNumber(flags.port, '--port');
      const type = flags.type ?? 'ClusterIP';
      if (!['ClusterIP', 'NodePort', 'LoadBalancer'].includes(type)) throw new UsageError(`--type must be ClusterIP, NodePort or LoadBalancer, not "${type}"`);
      const protocol = (flags.protocol ?? 'TCP').toUpperCase();
      if (protocol !== 'TCP' && protocol !== 'UDP') throw new UsageError(`--protocol must be TCP or UDP, not "${flags.protocol}"`);
      const targetPort = flags.targetPort === undefined ? port : /^\d+$/.test(flags.targetPort) ? portNumber(flags.targetPort, '--target-port') : flags.targetPort;
      if (flags.nodePort !== undefined && type === 'ClusterIP') throw new UsageError('--node-port needs --type NodePort or LoadBalancer');
      const targets = targetObjects(args, ['Deployment', 'DaemonSet', 'ReplicaSet', 'Pod'], 'expose');
      if (targets.length !== 1) throw new UsageError('expose one object at a time');
      const [info, name] = targets[0]!;
      const client = clientFor(cmd, io);
      const namespace = namespaceFor(info, flags.namespace);
      const obj = await client.request<KubeObject>('GET', resourcePath(info, namespace, name));
      const service = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: flags.name ?? name, namespace },
        spec: {
          type,
          selector: selectorOf(obj),
          ports: [{ port, protocol, targetPort, ...(flags.nodePort !== undefined ? { nodePort: portNumber(flags.nodePort, '--node-port') } : {}) }],
        },
      };
      await client.request('POST', resourcePath(resolveResource('services')!, namespace), { body: service });
      io.out(`service/${service.metadata.name} exposed\n`);
    });
}

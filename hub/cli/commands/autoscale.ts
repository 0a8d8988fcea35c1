/**
 * `drover autoscale deployment NAME --max N [--min N] [--cpu-percent P] [--memory-percent P] [--name H]`
 * (or deployment/NAME, replicaset/..., statefulset/... once served): creates an autoscaling/v2
 * HorizontalPodAutoscaler for the object, as kubectl autoscale does (named after it, minReplicas 1
 * unless given, and without a target the API's default of 80% CPU). The object must exist.
 */
import type { Command } from 'commander';
import { kindByName } from '../../../protocol/kinds.js';
import type { HorizontalPodAutoscaler, MetricSpec } from '../../../protocol/objects/horizontal-pod-autoscaler.js';
import { SCALABLE_KINDS } from '../../../protocol/scale.js';
import { resourcePath } from '../client.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { qualifiedName } from '../printers.js';
import { clientFor, namespaceFor, targetObjects, withConnectionOptions } from '../shared.js';

interface AutoscaleFlags {
  min?: string;
  max: string;
  cpuPercent?: string;
  memoryPercent?: string;
  name?: string;
  namespace?: string;
}

function positive(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive integer, not "${text}"`);
  return n;
}

export function autoscalerFor(kind: string, apiVersion: string, name: string, namespace: string, flags: AutoscaleFlags): HorizontalPodAutoscaler {
  const max = positive(flags.max, 'max')!;
  const min = positive(flags.min, 'min');
  if (min !== undefined && min > max) throw new UsageError(`--max (${max}) must be at least --min (${min})`);
  const metrics: MetricSpec[] = [];
  const cpu = positive(flags.cpuPercent, 'cpu-percent');
  const memory = positive(flags.memoryPercent, 'memory-percent');
  if (cpu !== undefined) metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } });
  if (memory !== undefined) metrics.push({ type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: memory } } });
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: flags.name ?? name, namespace },
    spec: {
      scaleTargetRef: { apiVersion, kind, name },
      ...(min !== undefined ? { minReplicas: min } : {}),
      maxReplicas: max,
      ...(metrics.length ? { metrics } : {}),
    },
  };
}

export function registerAutoscaleCommand(program: Command, io: CliIO): void {
  withConnectionOptions(program.command('autoscale'))
    .description('create a HorizontalPodAutoscaler for a deployment, replicaset or statefulset')
    .argument('<objects...>', 'deployment NAME, or deployment/NAME')
    .requiredOption('--max <n>', 'the most replicas the autoscaler may set')
    .option('--min <n>', 'the fewest replicas the autoscaler may set (default 1)')
    .option('--cpu-percent <p>', 'target average CPU use, percent of the pods\' requests (default 80)')
    .option('--memory-percent <p>', 'target average memory use, percent of the pods\' requests')
    .option('--name <name>', 'name of the autoscaler (default: the object\'s)')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .action(async (args: string[], flags: AutoscaleFlags, cmd: Command) => {
      const targets = targetObjects(args, SCALABLE_KINDS, 'autoscale');
      const client = clientFor(cmd, io);
      const hpaInfo = kindByName('HorizontalPodAutoscaler')!;
      for (const [info, name] of targets) {
        const namespace = namespaceFor(info, flags.namespace)!;
        await client.request('GET', resourcePath(info, namespace, name)); // kubectl autoscale needs the object
        const hpa = autoscalerFor(info.kind, info.apiVersion, name, namespace, flags);
        await client.request('POST', resourcePath(hpaInfo, namespace), { body: hpa });
        io.out(`${qualifiedName(hpa)} autoscaled\n`);
      }
    });
}

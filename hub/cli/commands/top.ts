/**
 * `drover top nodes|pods [NAME] [--sort-by cpu|memory] [--no-headers]` (pods: `-n`, `-A`, `-l`, `--containers`,
 * from metrics.k8s.io PodMetrics, the agents' cgroup samples): the usage each agent reports in
 * its Node's status.usage, as kubectl top shows metrics-server's: CPU in millicores and percent of
 * allocatable, memory in Mi and percent of allocatable. Nodes that have not reported usage show
 * <unknown>, last.
 */
import type { Command } from 'commander';
import { kindByName } from '../../../protocol/kinds.js';
import type { Node } from '../../../protocol/objects/node.js';
import { cpuToMillis, memoryToBytes } from '../../../protocol/quantity.js';
import { resourcePath, type ObjectList } from '../client.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { renderTable } from '../printers.js';
import { clientFor, namespaceFor, withConnectionOptions } from '../shared.js';

const MI = 2 ** 20;

export interface NodeUsageRow {
  name: string;
  cpuMillis?: number;
  cpuPercent?: number;
  memoryBytes?: number;
  memoryPercent?: number;
}

function quantityOr(value: string | undefined, parse: (v: string) => number): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parse(value);
  } catch {
    return undefined; // a capacity we cannot read: show the usage without a percentage
  }
}

export function nodeUsage(node: Node): NodeUsageRow {
  const usage = node.status?.usage;
  if (!usage) return { name: node.metadata.name };
  const st = node.status!;
  const capacityMillis = quantityOr(st.capacity?.cpu, cpuToMillis);
  const allocMillis = quantityOr(st.allocatable?.cpu ?? st.capacity?.cpu, cpuToMillis);
  const allocMemory = quantityOr(st.allocatable?.memory ?? st.capacity?.memory, memoryToBytes);
  const cpuMillis = capacityMillis === undefined ? undefined : Math.round((usage.cpuPercent / 100) * capacityMillis);
  return {
    name: node.metadata.name,
    cpuMillis,
    cpuPercent: cpuMillis !== undefined && allocMillis ? (cpuMillis / allocMillis) * 100 : usage.cpuPercent,
    memoryBytes: usage.memoryUsedBytes,
    memoryPercent: allocMemory ? (usage.memoryUsedBytes / allocMemory) * 100 : undefined,
  };
}

function cells(r: NodeUsageRow): string[] {
  const unknown = '<unknown>';
  return [
    r.name,
    r.cpuMillis === undefined ? unknown : `${r.cpuMillis}m`,
    r.cpuPercent === undefined ? unknown : `${Math.round(r.cpuPercent)}%`,
    r.memoryBytes === undefined ? unknown : `${Math.round(r.memoryBytes / MI)}Mi`,
    r.memoryPercent === undefined ? unknown : `${Math.round(r.memoryPercent)}%`,
  ];
}

export function registerTopCommand(program: Command, io: CliIO): void {
  const top = program.command('top').description('resource usage of nodes, as their agents report it');
  withConnectionOptions(top.command('nodes').alias('node').alias('no'))
    .description('CPU and memory in use on each node')
    .argument('[name]', 'one node')
    .option('--sort-by <what>', 'cpu or memory (largest first)')
    .option('--no-headers', 'print the table without the header row')
    .action(async (name: string | undefined, flags: { sortBy?: string; headers: boolean }, cmd: Command) => {
      if (flags.sortBy !== undefined && flags.sortBy !== 'cpu' && flags.sortBy !== 'memory') throw new UsageError(`--sort-by must be cpu or memory, not "${flags.sortBy}"`);
      const client = clientFor(cmd, io);
      const info = kindByName('Node')!;
      const nodes = name ? [await client.request<Node>('GET', resourcePath(info, undefined, name))] : (await client.request<ObjectList<Node>>('GET', resourcePath(info, undefined))).items;
      if (nodes.length === 0) {
        io.err('No resources found\n');
        return;
      }
      const rows = nodes.map(nodeUsage);
      const key = (r: NodeUsageRow): number => (flags.sortBy === 'memory' ? r.memoryBytes : r.cpuMillis ?? r.cpuPercent) ?? -1;
      rows.sort((a, b) => (flags.sortBy ? key(b) - key(a) : 0) || Number(a.cpuPercent === undefined) - Number(b.cpuPercent === undefined) || a.name.localeCompare(b.name));
      const text = renderTable(['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%'], rows.map(cells));
      io.out(flags.headers ? text : text.split('\n').slice(1).join('\n'));
    });

  withConnectionOptions(top.command('pods').alias('pod').alias('po'))
    .description('CPU and memory in use by each pod (or container), from the agents\' cgroup samples')
    .argument('[name]', 'one pod')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .option('-A, --all-namespaces', 'pods of every namespace')
    .option('-l, --selector <selector>', 'only pods with these labels')
    .option('--containers', 'one row per container')
    .option('--sort-by <what>', 'cpu or memory (largest first)')
    .option('--no-headers', 'print the table without the header row')
    .action(async (name: string | undefined, flags: TopPodFlags, cmd: Command) => {
      if (flags.sortBy !== undefined && flags.sortBy !== 'cpu' && flags.sortBy !== 'memory') throw new UsageError(`--sort-by must be cpu or memory, not "${flags.sortBy}"`);
      const client = clientFor(cmd, io);
      const namespace = flags.allNamespaces ? undefined : namespaceFor(kindByName('Pod')!, flags.namespace);
      const base = `/apis/metrics.k8s.io/v1beta1${namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/pods`;
      const items = name
        ? [await client.request<PodMetrics>('GET', `${base}/${encodeURIComponent(name)}`)]
        : (await client.request<{ items: PodMetrics[] }>('GET', base, { ...(flags.selector ? { query: { labelSelector: flags.selector } } : {}) })).items;
      if (items.length === 0) {
        io.err(`No resources found${namespace !== undefined ? ` in ${namespace} namespace` : ''}.\n`);
        return;
      }
      io.out(podUsageTable(items, flags));
    });
}

interface TopPodFlags {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  containers?: boolean;
  sortBy?: string;
  headers: boolean;
}

interface PodMetrics {
  metadata: { name: string; namespace?: string };
  containers: Array<{ name: string; usage: { cpu: string; memory: string } }>;
}

/** kubectl top pods' table: CPU in millicores, memory in Mi; per container with --containers. */
export function podUsageTable(items: readonly PodMetrics[], flags: Pick<TopPodFlags, 'allNamespaces' | 'containers' | 'sortBy' | 'headers'>): string {
  const rows = items.flatMap((p) => {
    const per = p.containers.map((c) => ({ pod: p, container: c.name, cpu: cpuToMillis(c.usage.cpu), memory: memoryToBytes(c.usage.memory) }));
    if (flags.containers) return per;
    return [{ pod: p, container: '', cpu: per.reduce((s, c) => s + c.cpu, 0), memory: per.reduce((s, c) => s + c.memory, 0) }];
  });
  if (flags.sortBy) rows.sort((a, b) => (flags.sortBy === 'memory' ? b.memory - a.memory : b.cpu - a.cpu));
  const headers = [...(flags.allNamespaces ? ['NAMESPACE'] : []), ...(flags.containers ? ['POD', 'NAME'] : ['NAME']), 'CPU(cores)', 'MEMORY(bytes)'];
  const text = renderTable(
    headers,
    rows.map((r) => [
      ...(flags.allNamespaces ? [r.pod.metadata.namespace ?? ''] : []),
      r.pod.metadata.name,
      ...(flags.containers ? [r.container] : []),
      `${Math.round(r.cpu)}m`,
      `${Math.round(r.memory / MI)}Mi`,
    ]),
  );
  return flags.headers ? text : text.split('\n').slice(1).join('\n');
}

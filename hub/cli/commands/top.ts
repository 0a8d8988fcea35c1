/**
 * `drover top nodes [NAME] [--sort-by cpu|memory] [--no-headers]`: the usage each agent reports in
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
import { clientFor, withConnectionOptions } from '../shared.js';

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
}

/**
 * `drover cordon NODE` / `drover uncordon NODE`: mark a node (un)schedulable, as kubectl does, with a
 * merge patch of spec.unschedulable (true, or null to remove it). Prints `node/NODE cordoned` (or
 * `already cordoned`). The hub's node lifecycle controller adds or removes the matching
 * node.kubernetes.io/unschedulable:NoSchedule taint; pods already on the node keep running.
 */
import type { Command } from 'commander';
import { kindByName } from '../../../protocol/kinds.js';
import type { Node } from '../../../protocol/objects/node.js';
import { resourcePath, type ApiClient } from '../client.js';
import type { CliIO } from '../io.js';
import { clientFor, withConnectionOptions } from '../shared.js';

export function nodePath(name: string): string {
  return resourcePath(kindByName('Node')!, undefined, name);
}

/**
 * Set spec.unschedulable and print what happened; resolves false when the node already was so.
 * Also used by drain.
 */
export async function setUnschedulable(client: ApiClient, io: CliIO, name: string, unschedulable: boolean): Promise<boolean> {
  const verb = unschedulable ? 'cordoned' : 'uncordoned';
  const node = await client.request<Node>('GET', nodePath(name));
  if ((node.spec?.unschedulable === true) === unschedulable) {
    io.out(`node/${name} already ${verb}\n`);
    return false;
  }
  await client.request('PATCH', nodePath(name), {
    contentType: 'application/merge-patch+json',
    body: { spec: { unschedulable: unschedulable ? true : null } },
  });
  io.out(`node/${name} ${verb}\n`);
  return true;
}

export function registerCordonCommands(program: Command, io: CliIO): void {
  withConnectionOptions(program.command('cordon'))
    .description('mark a node unschedulable: no new pods go there, those on it keep running')
    .argument('<node>', 'node name')
    .action(async (name: string, _flags: unknown, cmd: Command) => {
      await setUnschedulable(clientFor(cmd, io), io, name, true);
    });
  withConnectionOptions(program.command('uncordon'))
    .description('mark a node schedulable again')
    .argument('<node>', 'node name')
    .action(async (name: string, _flags: unknown, cmd: Command) => {
      await setUnschedulable(clientFor(cmd, io), io, name, false);
    });
}

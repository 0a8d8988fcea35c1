/**
 * `drover node delete NAME...`: remove nodes from the cluster. The hub revokes each node's MQTT
 * credential and drops its live connection, so the device can no longer connect (to come back it
 * must join again with a new join token, after deleting credentials.json in its data dir).
 */
import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { clientFor, withConnectionOptions } from '../shared.js';
import { ServerError } from '../errors.js';

export function registerNodeCommand(program: Command, io: CliIO): void {
  const node = program.command('node').description('manage nodes (the devices of the fleet)');
  withConnectionOptions(node.command('delete'))
    .description("delete nodes: revokes their credentials and disconnects them; they must join again to come back")
    .argument('<names...>', 'node names')
    .option('--ignore-not-found', 'a node that does not exist is not an error')
    .action(async (names: string[], flags: { ignoreNotFound?: boolean }, cmd: Command) => {
      const client = clientFor(cmd, io);
      for (const name of names) {
        try {
          await client.request('DELETE', `/api/v1/nodes/${encodeURIComponent(name)}`);
          io.out(`node "${name}" deleted (credentials revoked)\n`);
        } catch (err) {
          if (flags.ignoreNotFound && err instanceof ServerError && err.httpStatus === 404) continue;
          throw err;
        }
      }
    });
}

/** `drover token create|list|revoke`: join tokens for adding nodes (admin only). */
import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { parseOutputFormat, renderTable, serialize } from '../printers.js';
import { shortAge } from '../../../protocol/pod-display.js';
import { clientFor, parseDuration, withConnectionOptions } from '../shared.js';

interface JoinTokenInfo {
  id: string;
  description?: string;
  createdAt?: string;
  expiresAt?: string;
  singleUse?: boolean;
  uses?: number;
  expired?: boolean;
}

function expiresIn(iso: string | undefined, now: number): string {
  if (!iso) return '<never>';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return t <= now ? 'expired' : shortAge(new Date(now - (t - now)).toISOString(), now);
}

export function registerTokenCommand(program: Command, io: CliIO): void {
  const token = program.command('token').description('manage join tokens (what a new node needs to join)');
  withConnectionOptions(token.command('create'))
    .description('create a join token (or, with --role, an API token for people and tools) and print it')
    .option('--ttl <duration>', 'how long the join token is valid (e.g. 30m, 24h)', '24h')
    .option('--description <text>', 'what the token is for')
    .option('--single-use', 'the join token works for one join only')
    .option('--role <role>', 'create an API token with this role instead: admin, edit or view')
    .option('--namespace <ns>', 'with --role: limit the API token to one namespace')
    .action(
      async (
        flags: { ttl: string; description?: string; singleUse?: boolean; role?: string; namespace?: string },
        cmd: Command,
      ) => {
        const description = flags.description ? { description: flags.description } : {};
        if (flags.role !== undefined) {
          if (!['admin', 'edit', 'view'].includes(flags.role)) {
            throw new Error(`--role must be admin, edit or view, not "${flags.role}"`);
          }
          const created = await clientFor(cmd, io).request<{ token: string }>('POST', '/apis/drover.io/v1/apitokens', {
            body: { role: flags.role, ...(flags.namespace ? { namespace: flags.namespace } : {}), ...description },
          });
          io.out(`${created.token}\n`);
          return;
        }
        if (flags.namespace !== undefined) throw new Error('--namespace applies to API tokens: add --role admin|edit|view');
        const ttlSeconds = Math.round(parseDuration(flags.ttl));
        const created = await clientFor(cmd, io).request<{ token: string }>('POST', '/apis/drover.io/v1/jointokens', {
          body: { ttlSeconds, ...description, ...(flags.singleUse ? { singleUse: true } : {}) },
        });
        io.out(`${created.token}\n`);
      },
    );
  withConnectionOptions(token.command('list'))
    .description('list join tokens (never their secrets)')
    .option('-o, --output <format>', 'json or yaml')
    .action(async (flags: { output?: string }, cmd: Command) => {
      const format = parseOutputFormat(flags.output);
      const list = await clientFor(cmd, io).request<{ items: JoinTokenInfo[] }>('GET', '/apis/drover.io/v1/jointokens');
      if (format === 'json' || format === 'yaml') {
        io.out(serialize(list, format));
        return;
      }
      if (list.items.length === 0) {
        io.err('No join tokens.\n');
        return;
      }
      const now = Date.now();
      const rows = list.items.map((t) => [
        t.id,
        expiresIn(t.expiresAt, now),
        t.singleUse ? 'single-use' : 'reusable',
        String(t.uses ?? 0),
        t.description ?? '',
      ]);
      io.out(renderTable(['ID', 'EXPIRES IN', 'USAGE', 'USES', 'DESCRIPTION'], rows));
    });
  withConnectionOptions(token.command('revoke'))
    .description('revoke a join token by id')
    .argument('<id>', 'token id (the part after "drover-join.")')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const bare = id.startsWith('drover-join.') ? id.split('.')[1]! : id;
      await clientFor(cmd, io).request('DELETE', `/apis/drover.io/v1/jointokens/${encodeURIComponent(bare)}`);
      io.out(`join token "${bare}" revoked\n`);
    });
}

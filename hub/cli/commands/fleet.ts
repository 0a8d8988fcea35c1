/**
 * `drover fleet upgrade --version V [--selector k=v] [--max-unavailable N|P%] [--pause] [--ready-deadline S] [--wait]`
 * writes a drover.io/v1 AgentUpgrade (named agent-<version>, or --name; an existing one gets the new spec) that
 * the hub's agent-upgrade controller rolls over the selected nodes; `--wait` polls until it is Complete (exit 0)
 * or Failed (exit 1) and prints how long it took. `drover fleet upgrade status [NAME]` prints each upgrade and
 * where each of its nodes is. `--resume` clears the pause of an existing upgrade.
 */
import type { Command } from 'commander';
import { kindByName } from '../../../protocol/kinds.js';
import { parseLabelSelector } from '../../../protocol/labels.js';
import type { AgentUpgrade } from '../../../protocol/objects/agent-upgrade.js';
import { resourcePath, type ApiClient, type ObjectList } from '../client.js';
import { RolloutFailedError, TimeoutError, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { renderTable } from '../printers.js';
import { clientFor, parseDuration, sleep, withConnectionOptions } from '../shared.js';

interface UpgradeFlags {
  version?: string;
  to?: string;
  selector?: string;
  maxUnavailable?: string;
  pause?: boolean;
  resume?: boolean;
  readyDeadline?: string;
  name?: string;
  wait?: boolean;
  timeout: string;
}

const info = () => kindByName('AgentUpgrade')!;
export const upgradeNameFor = (version: string): string => `agent-${version.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.replace(/-+$/, '');

function maxUnavailableOf(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  if (/^[1-9]\d*$/.test(text)) return Number(text);
  if (/^([1-9]\d?|100)%$/.test(text)) return text;
  throw new UsageError(`--max-unavailable "${text}" must be a positive number of nodes or a percentage such as 10%`);
}

export function upgradeObject(flags: UpgradeFlags): AgentUpgrade {
  const version = flags.version ?? flags.to;
  if (!version) throw new UsageError('give the agent version to roll out: --version V');
  const maxUnavailable = maxUnavailableOf(flags.maxUnavailable);
  let readyDeadlineSeconds: number | undefined;
  if (flags.readyDeadline !== undefined) readyDeadlineSeconds = Math.round(parseDuration(flags.readyDeadline));
  return {
    apiVersion: 'drover.io/v1',
    kind: 'AgentUpgrade',
    metadata: { name: flags.name ?? upgradeNameFor(version) },
    spec: {
      version,
      ...(flags.selector ? { nodeSelector: parseLabelSelector(flags.selector) } : {}),
      ...(maxUnavailable !== undefined ? { maxUnavailable } : {}),
      ...(flags.pause ? { paused: true } : {}),
      ...(readyDeadlineSeconds !== undefined ? { readyDeadlineSeconds } : {}),
    },
  };
}

async function writeUpgrade(client: ApiClient, wanted: AgentUpgrade, resume: boolean): Promise<AgentUpgrade> {
  const path = resourcePath(info(), undefined, wanted.metadata.name);
  const existing = await client.getOptional<AgentUpgrade>(path);
  if (!existing) return client.request<AgentUpgrade>('POST', resourcePath(info(), undefined), { body: wanted });
  const spec = resume ? { ...existing.spec, ...wanted.spec, paused: false } : wanted.spec;
  return client.request<AgentUpgrade>('PUT', path, { body: { ...existing, spec } });
}

function statusLines(u: AgentUpgrade): string {
  const head = `agentupgrade/${u.metadata.name}: ${u.status?.phase ?? 'Pending'} - ${u.status?.message ?? 'not looked at yet'}\n`;
  const rows = (u.status?.nodes ?? []).map((n) => [n.name, n.phase, n.fromVersion ?? '', u.spec.version, n.message ?? '']);
  return rows.length ? head + renderTable(['NODE', 'PHASE', 'FROM', 'TO', 'MESSAGE'], rows) : head;
}

async function waitFor(io: CliIO, client: ApiClient, name: string, timeoutMs: number, started: number): Promise<void> {
  const path = resourcePath(info(), undefined, name);
  let last = '';
  for (;;) {
    const u = await client.request<AgentUpgrade>('GET', path);
    const line = u.status?.message ?? '';
    if (line && line !== last) io.out(`${line}\n`);
    last = line;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (u.status?.phase === 'Complete') {
      io.out(`agentupgrade/${name} complete in ${seconds} s\n`);
      return;
    }
    if (u.status?.phase === 'Failed') {
      io.out(statusLines(u));
      throw new RolloutFailedError(`agentupgrade/${name} failed after ${seconds} s: ${u.status.message ?? ''}`);
    }
    if (timeoutMs > 0 && Date.now() - started > timeoutMs) throw new TimeoutError(`timed out waiting for agentupgrade/${name}`);
    await sleep(1000);
  }
}

export function registerFleetCommand(program: Command, io: CliIO): void {
  const fleet = program.command('fleet').description('operations over the fleet of agents');
  const upgrade = withConnectionOptions(fleet.command('upgrade'))
    .description('roll a new agent version over the nodes (an AgentUpgrade); a node whose new agent is not Ready in time rolls back by itself')
    .option('--version <version>', 'the agent version to install (a bundle the hub has: drover-agent-<version>-linux-<arch>.tar.gz)')
    .option('--to <version>', 'the same as --version')
    .option('-l, --selector <selector>', 'only the nodes with these labels (k=v,k2!=v2,...)')
    .option('--max-unavailable <n>', 'nodes upgrading at once: a number or a percentage of the selected nodes (default 1)')
    .option('--pause', 'create it paused: nothing starts until --resume')
    .option('--resume', 'clear the pause of an existing upgrade')
    .option('--ready-deadline <duration>', 'how long a new agent has to be up before its device rolls back (default 120s)')
    .option('--name <name>', 'the AgentUpgrade name (default agent-<version>)')
    .option('--wait', 'wait until the upgrade is complete (exit 0) or failed (exit 1)')
    .option('--timeout <duration>', 'with --wait: give up after this long (0: never)', '0')
    .action(async (flags: UpgradeFlags, cmd: Command) => {
      const client = clientFor(cmd, io);
      const started = Date.now();
      const written = await writeUpgrade(client, upgradeObject(flags), flags.resume === true);
      io.out(`agentupgrade/${written.metadata.name} ${flags.resume ? 'resumed' : 'configured'}: agent ${written.spec.version}\n`);
      if (flags.wait) await waitFor(io, client, written.metadata.name, parseDuration(flags.timeout) * 1000, started);
    });
  withConnectionOptions(upgrade.command('status'))
    .description('where each upgrade is, node by node')
    .argument('[name]', 'one AgentUpgrade (default: all)')
    .action(async (name: string | undefined, _flags: unknown, cmd: Command) => {
      const client = clientFor(cmd, io);
      const items = name
        ? [await client.request<AgentUpgrade>('GET', resourcePath(info(), undefined, name))]
        : (await client.request<ObjectList<AgentUpgrade>>('GET', resourcePath(info(), undefined))).items;
      if (items.length === 0) io.out('no agent upgrades\n');
      for (const u of items) io.out(statusLines(u));
    });
}

/**
 * The agent's command line: options, their defaults and checks. main.ts runs it; kept apart so the
 * parsing is tested without starting anything.
 */
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseSelfLabels } from '../protocol/node-self-labels.js';
import { isValidNodeName } from '../protocol/topics.js';
import { InvalidOptionError } from './errors.js';
import { readTokenFile } from './link/token-file.js';

export interface AgentCliOptions {
  hubUrl: string | undefined;
  token: string | undefined;
  /** Where the join token came from: `--token` (visible to every local user: warned), `--token-file`, DROVER_JOIN_TOKEN. */
  tokenSource: 'argv' | 'file' | 'env' | undefined;
  name: string;
  /** --labels k=v,... (or $DROVER_NODE_LABELS): asked for at the first join; protocol/node-self-labels.ts says which. */
  labels: Record<string, string>;
  runtime: 'docker' | 'containerd' | undefined;
  dataDir: string;
  statusIntervalMs: number;
  statusRefreshMs: number;
  /** False with --no-pod-network: pods on the runtime's own network, no service proxy or cluster DNS. */
  podNetwork: boolean;
  /** --image-hub host:port: the hub's HTTPS listener for images pushed to it (default: the hub's host, port 7070). */
  imageHub: string | undefined;
}

/** A hostname as a node name: lowercase, a DNS label (a-z, 0-9, "-"), at most 63 characters. */
export function nodeNameFromHostname(host: string): string {
  const label = host
    .toLowerCase()
    .split('.')[0]!
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label || 'node';
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
}

function hubUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL such as mqtt://hub.local:1883');
  }
  if (!['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new InvalidArgumentError('must be an mqtt://, mqtts://, ws:// or wss:// URL');
  }
  return value;
}

export function buildAgentCommand(): Command {
  return new Command('drover-agent')
    .description('Drover node agent: joins a hub, reports this machine and runs the pods the hub assigns to it')
    .option('--hub <url>', 'the hub\'s MQTT address, e.g. mqtt://hub.local:1883 (default: the one stored at join)', hubUrl)
    .option('--token-file <path>', 'a file holding the join token from `drover token create` (only needed to join; a pipe such as /dev/fd/3 works)')
    .option('--token <token>', 'the join token itself; every local user can read a command line: prefer --token-file or $DROVER_JOIN_TOKEN')
    .option('--name <name>', 'node name (default: the hostname as a DNS label)')
    .option('--labels <k=v,...>', "node labels to register with, e.g. site=plant-3,rack=a (default: $DROVER_NODE_LABELS); applied when the node joins, to labels the Node does not have yet, as the kubelet's --node-labels; not kubernetes.io/, k8s.io/ or drover.io/ ones but node.kubernetes.io/, kubelet.kubernetes.io/ and topology.kubernetes.io/{zone,region}")
    .addOption(new Option('--runtime <runtime>', 'container runtime (default: detect)').choices(['docker', 'containerd']))
    .option('--data-dir <dir>', 'where the agent keeps its state (default: ~/.drover/agent-NAME)')
    .option('--status-interval <seconds>', 'heartbeat period (the hub marks a node silent for 15 s NotReady)', positiveSeconds, 5)
    .option('--status-refresh <seconds>', 'the full node status goes on change and at least this often', positiveSeconds, 60)
    .option('--no-pod-network', "run pods on the runtime's own network (containerd: the host's; Docker: its default bridge), without pod IPs, Services or cluster DNS; for a machine that runs another agent's pod network already")
    .option('--image-hub <host:port>', "the hub's HTTPS address, whose registry serves images pushed with `drover image push` (default: $DROVER_IMAGE_HUB, else the MQTT hub's host, port 7070)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
}

/** Parse argv (without node and the script). Throws commander's errors or InvalidOptionError. */
export function parseAgentArgs(argv: string[], host = hostname(), home = homedir()): AgentCliOptions {
  const cmd = buildAgentCommand();
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<{ hub?: string; token?: string; tokenFile?: string; name?: string; labels?: string; runtime?: 'docker' | 'containerd'; dataDir?: string; statusInterval: number; statusRefresh: number; podNetwork: boolean; imageHub?: string }>();
  const name = o.name ?? nodeNameFromHostname(host);
  if (!isValidNodeName(name)) {
    throw new InvalidOptionError(`--name "${name}" is not a valid node name: use lowercase letters, digits, "-" and "." (at most 63)`);
  }
  if (o.token !== undefined && o.tokenFile !== undefined) throw new InvalidOptionError('give the join token once: --token or --token-file, not both');
  const labelSpec = o.labels ?? process.env.DROVER_NODE_LABELS ?? '';
  let labels: Record<string, string>;
  try {
    labels = parseSelfLabels(labelSpec);
  } catch (err) {
    throw new InvalidOptionError(`${o.labels !== undefined ? '--labels' : 'DROVER_NODE_LABELS'}: ${(err as Error).message}`);
  }
  const envToken = process.env.DROVER_JOIN_TOKEN || undefined;
  const token = o.token ?? (o.tokenFile === undefined ? envToken : readTokenFile(o.tokenFile));
  return {
    hubUrl: o.hub,
    token,
    tokenSource: o.token !== undefined ? 'argv' : o.tokenFile !== undefined ? 'file' : envToken !== undefined ? 'env' : undefined,
    name,
    labels,
    runtime: o.runtime,
    dataDir: o.dataDir ?? join(home, '.drover', `agent-${name}`),
    statusIntervalMs: Math.round(o.statusInterval * 1000),
    statusRefreshMs: Math.round(o.statusRefresh * 1000),
    podNetwork: o.podNetwork,
    imageHub: o.imageHub ?? (process.env.DROVER_IMAGE_HUB || undefined),
  };
}


/**
 * The simulator's command line (`drover sim ...`, dist/agent/sim/main.js): options, their defaults and
 * checks. Kept apart from main.ts so the parsing is tested without starting anything.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { memoryToBytes } from '../../protocol/quantity.js';
import { isValidNodeName } from '../../protocol/topics.js';
import { readTokenFile } from '../link/token-file.js';
import { InvalidOptionError } from '../errors.js';

export interface SimOptions {
  hubUrl: string;
  token: string | undefined;
  /** How many nodes this process simulates. */
  nodes: number;
  namePrefix: string;
  /** The first node's number: nodes are <prefix><index padded to 5 digits>, index from startIndex. */
  startIndex: number;
  /** Root of the nodes' data dirs (one per node: credentials.json, ca.crt). */
  dataDir: string;
  /** capacity.pods (and allocatable.pods) each node reports. */
  podsPerNode: number;
  /** Cores and memory each node reports. */
  cpuCores: number;
  memoryBytes: number;
  statusIntervalMs: number;
  statusRefreshMs: number;
  /** A desired pod is reported Pending at once and Running (every container running and ready) after this. */
  runningAfterMs: number;
  /** A pod that left the desired set (or is terminating) is dropped from the report after this. */
  stopAfterMs: number;
  /** How many nodes may be joining or making their first connection at once. */
  joinConcurrency: number;
  /** How often a progress line goes to stdout (0: never). */
  progressIntervalMs: number;
  /** On SIGTERM/SIGINT, exit without disconnecting: the hub sees every node's last will, as after SIGKILL. */
  killLike: boolean;
  reconnectMinMs: number | undefined;
  reconnectMaxMs: number | undefined;
  joinTimeoutMs: number | undefined;
}

/** The widest index a node name carries (names sort in index order up to this). */
export const INDEX_DIGITS = 5;

export function simNodeName(prefix: string, index: number): string {
  return `${prefix}${String(index).padStart(INDEX_DIGITS, '0')}`;
}

const integer = (min: number, what: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be ${what}`);
  return n;
};
const positiveSeconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
};
const memory = (value: string): number => {
  const n = memoryToBytes(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a memory quantity such as 8Gi');
  return n;
};
const hubUrl = (value: string): string => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL such as mqtt://127.0.0.1:1883');
  }
  if (!['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:'].includes(url.protocol)) throw new InvalidArgumentError('must be an mqtt://, mqtts://, ws:// or wss:// URL');
  return value;
};

export function buildSimCommand(): Command {
  return new Command('drover-sim')
    .description('Drover fleet simulator: many hollow nodes in one process, each speaking the agent\'s protocol over its own MQTT connection')
    .requiredOption('--hub <url>', 'the hub\'s MQTT address, e.g. mqtt://127.0.0.1:1883', hubUrl)
    .option('--token-file <path>', 'a file (or pipe) holding a reusable join token from `drover token create` (not needed when the data dir holds credentials)')
    .option('--token <token>', 'the join token itself; every local user can read a command line: prefer --token-file or $DROVER_JOIN_TOKEN')
    .option('--nodes <n>', 'how many nodes to simulate', integer(1, 'a positive integer'), 1)
    .option('--name-prefix <prefix>', 'node names are PREFIX00000, PREFIX00001, ...', 'sim-')
    .option('--start-index <k>', 'number of the first node (to split a fleet over processes)', integer(0, 'an integer >= 0'), 0)
    .option('--data-dir <dir>', 'where the nodes keep their credentials, one directory per node (default ~/.drover/sim)')
    .option('--pods-per-node <p>', 'pod capacity each node reports', integer(1, 'a positive integer'), 110)
    .option('--cpu <cores>', 'CPU cores each node reports', integer(1, 'a positive integer'), 4)
    .addOption(new Option('--memory <quantity>', 'memory each node reports').argParser(memory).default(8 * 2 ** 30, '8Gi'))
    .option('--status-interval <seconds>', 'heartbeat period', positiveSeconds, 5)
    .option('--status-refresh <seconds>', 'the full node status goes on change and at least this often', positiveSeconds, 60)
    .option('--running-after <ms>', 'a pod is reported Running this long after it arrives', integer(0, 'an integer >= 0'), 1000)
    .option('--stop-after <ms>', 'a deleted pod is gone from the reports this long after it leaves the set', integer(0, 'an integer >= 0'), 500)
    .option('--join-concurrency <c>', 'nodes joining or making their first connection at once', integer(1, 'a positive integer'), 16)
    .option('--progress-interval <ms>', 'a progress line on stdout this often (0: none)', integer(0, 'an integer >= 0'), 1000)
    .option('--kill-like', 'on SIGTERM exit without disconnecting, so the hub sees the last wills (as after SIGKILL)')
    .option('--reconnect-min <ms>', 'reconnect back-off start (default the agent\'s, 1000)', integer(1, 'a positive integer'))
    .option('--reconnect-max <ms>', 'reconnect back-off cap (default the agent\'s, 30000)', integer(1, 'a positive integer'))
    .option('--join-timeout <ms>', 'how long a join waits for the hub\'s reply (default the agent\'s, 20000)', integer(1, 'a positive integer'))
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
}

interface RawOptions {
  tokenFile?: string;
  hub: string;
  token?: string;
  nodes: number;
  namePrefix: string;
  startIndex: number;
  dataDir?: string;
  podsPerNode: number;
  cpu: number;
  memory: number;
  statusInterval: number;
  statusRefresh: number;
  runningAfter: number;
  stopAfter: number;
  joinConcurrency: number;
  progressInterval: number;
  killLike?: boolean;
  reconnectMin?: number;
  reconnectMax?: number;
  joinTimeout?: number;
}

/** Parse argv (without node and the script). Throws commander's errors or InvalidOptionError. */
export function parseSimArgs(argv: string[], home = homedir()): SimOptions {
  const cmd = buildSimCommand();
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<RawOptions>();
  const last = o.startIndex + o.nodes - 1;
  for (const name of [simNodeName(o.namePrefix, o.startIndex), simNodeName(o.namePrefix, last)]) {
    if (!isValidNodeName(name)) {
      throw new InvalidOptionError(`--name-prefix "${o.namePrefix}" makes the node name "${name}", which is not valid: use lowercase letters, digits, "-" and "." (at most 63)`);
    }
  }
  if (o.reconnectMin !== undefined && o.reconnectMax !== undefined && o.reconnectMin > o.reconnectMax) {
    throw new InvalidOptionError('--reconnect-min must not exceed --reconnect-max');
  }
  return {
    hubUrl: o.hub,
    token: o.token ?? (o.tokenFile === undefined ? process.env.DROVER_JOIN_TOKEN : readTokenFile(o.tokenFile)),
    nodes: o.nodes,
    namePrefix: o.namePrefix,
    startIndex: o.startIndex,
    dataDir: o.dataDir ?? join(home, '.drover', 'sim'),
    podsPerNode: o.podsPerNode,
    cpuCores: o.cpu,
    memoryBytes: o.memory,
    statusIntervalMs: Math.round(o.statusInterval * 1000),
    statusRefreshMs: Math.round(o.statusRefresh * 1000),
    runningAfterMs: o.runningAfter,
    stopAfterMs: o.stopAfter,
    joinConcurrency: o.joinConcurrency,
    progressIntervalMs: o.progressInterval,
    killLike: o.killLike ?? false,
    reconnectMinMs: o.reconnectMin,
    reconnectMaxMs: o.reconnectMax,
    joinTimeoutMs: o.joinTimeout,
  };
}

/**
 * The agent as kube-proxy: programs the node's packet path from the Services and endpoints of its
 * network set, in one nftables table of Drover's own (`ip drover`), with `nft -f -` (the ruleset on
 * stdin, arguments as an array, never a shell string). Each apply is one transaction: a new set
 * replaces the old at once, and a set the table already holds (its marker comment says so) changes
 * nothing at all. The rules stay in the kernel when the agent stops or the hub is away; the caller
 * applies the stored set at start. The ruleset itself is service-proxy-ruleset.ts; the chains are
 * drawn in SERVICES.md.
 */
import type { Logger } from '../../protocol/logger.js';
import type { ProcessResult, ProcessRunner } from '../../runtime-adapters/index.js';
import { ServiceProxyError } from '../errors.js';
import { staleUdpDeletions } from './service-proxy-conntrack.js';
import {
  RULESET_MARKER,
  renderReplacement,
  renderServiceRuleset,
  renderTransaction,
  type ServiceProxySet,
  type ServiceRulesetOptions,
  type TableContents,
  type UdpBackend,
} from './service-proxy-ruleset.js';

export interface ServiceProxyOptions extends ServiceRulesetOptions {
  logger: Logger;
  /** Runs nft: runtime-adapters/process-runner.ts's createExecaRunner() (execa, argument arrays, no shell). */
  runner: ProcessRunner;
  /** Program this network namespace (a path such as /run/netns/NAME, entered with nsenter) instead of the agent's own. */
  netnsPath?: string;
  /** The nft binary (default `nft`, from Debian's nftables). */
  nftBinary?: string;
  /** How long one nft call may take (default 30 s). */
  timeoutMs?: number;
  /** The conntrack binary (default `conntrack`, Debian's conntrack package); without it stale UDP flows wait for their timeout. */
  conntrackBinary?: string;
}

export interface ServiceProxyApplyResult {
  /** False when the table already held exactly this ruleset: nothing was written. */
  changed: boolean;
  hash: string;
  /** Service ports with ready endpoints, and those refused for having none. */
  served: number;
  rejected: number;
  skipped: string[];
}

export interface ServiceProxy {
  /** Program the Services of this set; idempotent; calls are serialized. */
  apply(set: ServiceProxySet): Promise<ServiceProxyApplyResult>;
  /** Remove the table (every Service rule of the node). */
  clear(): Promise<void>;
}

type ListingItem = Record<string, { name?: string; table?: string } | undefined>;

/**
 * The table's contents from `nft -j list chains ip`, `nft -t -j list sets ip` and `nft -t -j list maps
 * ip` (names only: no rules, no elements), and the marker chain's hash; undefined when the family has
 * nothing of the table.
 */
export function parseTableListing(table: string, ...listings: string[]): TableContents | undefined {
  const contents: TableContents = { chains: [], maps: [], sets: [] };
  for (const json of listings) {
    const parsed = JSON.parse(json) as { nftables?: ListingItem[] };
    for (const item of parsed.nftables ?? []) {
      const ours = (o: { name?: string; table?: string } | undefined) => (o?.table === table && o.name ? o.name : undefined);
      const chain = ours(item.chain);
      const map = ours(item.map);
      const set = ours(item.set);
      if (chain) {
        contents.chains.push(chain);
        if (chain.startsWith(RULESET_MARKER)) contents.hash = chain.slice(RULESET_MARKER.length);
      } else if (map) contents.maps.push(map);
      else if (set) contents.sets.push(set);
    }
  }
  return contents.chains.length + contents.maps.length + contents.sets.length === 0 ? undefined : contents;
}

export function createServiceProxy(opts: ServiceProxyOptions): ServiceProxy {
  const log = opts.logger;
  const nft = opts.nftBinary ?? 'nft';
  const table = opts.table ?? 'drover';
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let queue: Promise<unknown> = Promise.resolve();

  const conntrack = opts.conntrackBinary ?? 'conntrack';
  /** The UDP backends of the last set applied by this proxy (unknown after a restart: nothing to clear then). */
  let lastUdp: UdpBackend[] = [];
  let conntrackMissing = false;

  const runIn = (binary: string, args: string[], input?: string): Promise<ProcessResult> => {
    const [file, argv] = opts.netnsPath ? ['nsenter', [`--net=${opts.netnsPath}`, '--', binary, ...args]] : [binary, args];
    return opts.runner(file, argv, { timeoutMs, ...(input === undefined ? {} : { input }) });
  };
  const run = (args: string[], input?: string) => runIn(nft, args, input);

  /** Deletes the conntrack entries of UDP endpoints that left; failures are logged, never thrown. */
  async function clearStaleUdp(deletions: string[][]): Promise<void> {
    for (const args of deletions) {
      if (conntrackMissing) return;
      const r = await runIn(conntrack, args);
      if (r.exitCode === 0 || /0 flow entries have been deleted/.test(r.stderr)) continue;
      if (r.spawnError?.code === 'ENOENT' || /executable file not found|No such file or directory/.test(r.stderr)) {
        conntrackMissing = true;
        log.warn('conntrack is not installed: UDP clients of an endpoint that left keep sending to it until their flow times out (apt-get install conntrack)');
        return;
      }
      log.warn({ args, error: failure('conntrack', r) }, 'cannot clear the conntrack entries of a UDP endpoint that left');
    }
  }
  const failure = (what: string, r: ProcessResult) =>
    r.spawnError?.message ?? (r.timedOut ? `${what} timed out after ${timeoutMs} ms` : r.stderr.trim() || `${what} exited with ${r.exitCode}`);

  /** The table's contents (names), or undefined when it does not exist. */
  async function list(): Promise<TableContents | undefined> {
    const outputs: string[] = [];
    for (const what of [['-j', 'list', 'chains', 'ip'], ['-t', '-j', 'list', 'sets', 'ip'], ['-t', '-j', 'list', 'maps', 'ip']]) {
      const r = await run(what);
      if (r.exitCode !== 0) throw new ServiceProxyError(`cannot list the ${what[what.length - 2]} of family ip: ${failure('nft list', r)}`);
      outputs.push(r.stdout);
    }
    try {
      return parseTableListing(table, ...outputs);
    } catch (cause) {
      throw new ServiceProxyError(`cannot read nft's listing of family ip`, { cause });
    }
  }

  async function load(script: string): Promise<ProcessResult> {
    return run(['-f', '-'], script);
  }

  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    apply: (set) =>
      serialized(async () => {
        const ruleset = renderServiceRuleset(set, opts);
        for (const s of ruleset.skipped) log.warn({ reason: s }, 'service port not proxied');
        const result = { hash: ruleset.hash, served: ruleset.served, rejected: ruleset.rejected, skipped: ruleset.skipped };
        const current = await list();
        if (current?.hash === ruleset.hash) {
          lastUdp = ruleset.udp;
          log.debug({ hash: ruleset.hash }, 'service rules unchanged');
          return { changed: false, ...result };
        }
        let r = await load(renderTransaction(ruleset, current));
        if (r.exitCode !== 0) {
          // the table holds something this agent did not write as it expects (another version, a hand
          // edit): replace it whole, in one transaction still (affinity state is lost)
          log.warn({ error: failure('nft -f', r) }, 'incremental service rule update refused; replacing the table');
          r = await load(renderReplacement(ruleset));
          if (r.exitCode !== 0) throw new ServiceProxyError(`nft refused the service rules (the previous rules stay in force): ${failure('nft -f', r)}`);
        }
        log.info({ hash: ruleset.hash, served: ruleset.served, rejected: ruleset.rejected, chains: ruleset.chains.length }, 'service rules applied');
        const stale = staleUdpDeletions(lastUdp, ruleset.udp);
        lastUdp = ruleset.udp;
        await clearStaleUdp(stale);
        return { changed: true, ...result };
      }),
    clear: () =>
      serialized(async () => {
        const r = await load(`add table ip ${table}\ndelete table ip ${table}\n`);
        if (r.exitCode !== 0) throw new ServiceProxyError(`cannot remove table ip ${table}: ${failure('nft -f', r)}`);
        lastUdp = [];
        log.info({ table }, 'service rules removed');
      }),
  };
}

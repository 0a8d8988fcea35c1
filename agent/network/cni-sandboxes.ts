/**
 * Pod sandboxes on containerd: each pod gets a network namespace of its own (`ip netns add`, a file under
 * /run/netns) attached through the CNI plugins (cni-config.ts): lo by loopback, eth0 by bridge + host-local
 * (+ portmap for hostPorts). What was done is kept per pod in <data dir>/network/sandboxes/<uid>.json,
 * written durably before the namespace is made and again with the ADD's result, so that a restarted agent
 * finds and keeps the namespaces of the pods it adopts, and a half-made one is undone (CNI DEL) and made
 * again. A namespace that vanished (a reboot) or an attachment made for another pod CIDR, MTU or set of host
 * ports is torn down and made anew, with a new sandbox id (the pod's containers are then re-created).
 *
 * Beside the network namespace each pod gets a UTS namespace holding its hostname (a file under
 * /run/drover/uts, made with `unshare --uts=FILE hostname NAME`), which its containers join: ctr 1.6 has no
 * --hostname, and the kubelet's pods share one UTS namespace too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurable } from '../../protocol/durable-file.js';
import type { Logger } from '../../protocol/logger.js';
import type { Pod } from '../../protocol/objects/pod.js';
import type { PortMapping } from '../../runtime-adapters/runtime.js';
import { podUid } from '../desired-set.js';
import { PodNetworkError } from '../errors.js';
import type { PodSandbox } from '../pod-sandbox.js';
import { readStateJson } from '../state-file.js';
import type { Cni } from './cni.js';
import { loopbackPlugins, podNetworkPlugins, resultIPs, type CniPluginConfig, type CniResult } from './cni-config.js';
import type { NetCommands } from './net-commands.js';

export interface SandboxContext {
  podCIDR: string;
  mtu: number;
  /** The pod's hostname (pod-hosts.ts podHostname), set in its UTS namespace. */
  hostname: string;
}

/** Where pods' UTS namespace files live (bind mounts, like /run/netns). */
export const UTS_DIR = '/run/drover/uts';

interface SandboxRecord {
  uid: string;
  id: string;
  netns: string;
  /** The pod's UTS namespace file (absent in records of an agent before hostnames). */
  uts?: string;
  /** What the attachment was made for; a different one means a new sandbox. */
  key: string;
  eth0: CniPluginConfig[];
  lo: CniPluginConfig[];
  result?: CniResult;
  complete: boolean;
}

export interface CniSandboxes {
  ensure(pod: Pod, ports: PortMapping[], ctx: SandboxContext): Promise<Omit<PodSandbox, 'mounts'>>;
  current(uid: string): Omit<PodSandbox, 'mounts'> | undefined;
  release(uid: string): Promise<void>;
  prune(keep: ReadonlySet<string>): Promise<void>;
}

export interface CniSandboxesOptions {
  cni: Cni;
  commands: NetCommands;
  dataDir: string;
  bridge: string;
  /** Prefix of the network namespaces' names (default "drover-"). */
  netnsPrefix: string;
  logger: Logger;
}

/** The pid of the containerd daemon, from /proc (undefined when none is in sight). */
export async function containerdPid(): Promise<number | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if ((await readFile(`/proc/${e}/comm`, 'utf8')).trim() === 'containerd') return Number(e);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** /run/netns/<prefix><uid's letters and digits, at most 32>. */
export function netnsName(prefix: string, uid: string): string {
  return `${prefix}${uid.replace(/[^A-Za-z0-9]/g, '').slice(0, 32)}`;
}

export function createCniSandboxes(opts: CniSandboxesOptions): CniSandboxes {
  const { cni, commands: cmd } = opts;
  const log = opts.logger.child({ component: 'cni-sandboxes' });
  const dir = join(opts.dataDir, 'network', 'sandboxes');
  const ipamDataDir = join(opts.dataDir, 'network', 'ipam');
  const recordPath = (uid: string) => join(dir, `${encodeURIComponent(uid)}.json`);
  const cache = new Map<string, SandboxRecord>();

  const view = (r: SandboxRecord): Omit<PodSandbox, 'mounts'> => ({
    id: r.id,
    network: { mode: 'netns', path: r.netns, ...(r.uts ? { uts: r.uts } : {}) },
    podIPs: resultIPs(r.result),
  });

  async function read(uid: string): Promise<SandboxRecord | undefined> {
    const cached = cache.get(uid);
    if (cached) return cached;
    try {
      const rec = (await readStateJson(recordPath(uid), (reason, cause) => new PodNetworkError(`sandbox record of ${uid}: ${reason}`, { cause }))) as
        | SandboxRecord
        | undefined;
      if (rec) cache.set(uid, rec);
      return rec;
    } catch (err) {
      log.warn({ err, uid }, 'unreadable sandbox record: tearing down what it may have held');
      await rm(recordPath(uid), { force: true });
      return undefined;
    }
  }

  async function write(rec: SandboxRecord): Promise<void> {
    await writeFileDurable(recordPath(rec.uid), JSON.stringify(rec), { mode: 0o600 });
    cache.set(rec.uid, rec);
  }

  /**
   * A command in containerd's mount namespace: a namespace file is a bind mount, and one made in a private mount
   * namespace (an agent started under `ip netns exec`, or a unit with PrivateMounts) would be an empty file to
   * containerd, which opens it. Plain, in the agent's own, when containerd's process is not in sight (nsenter
   * missing, another PID namespace).
   */
  async function inContainerdMounts(argv: [string, ...string[]]): Promise<void> {
    const pid = await containerdPid();
    if (pid !== undefined) {
      const viaContainerd = [`--mount=/proc/${pid}/ns/mnt`, '--', ...argv];
      const r = await cmd.run('nsenter', viaContainerd).catch((err: unknown) => {
        log.debug({ err }, 'nsenter could not be run');
        return undefined;
      });
      if (r?.exitCode === 0) {
        log.info({ command: ['nsenter', ...viaContainerd] }, 'network change');
        return;
      }
      log.debug({ pid, stderr: r?.stderr }, "cannot enter containerd's mount namespace; running in the agent's own");
    }
    await cmd.change(argv[0], argv.slice(1));
  }

  /** `ip netns add|delete`, where containerd sees the namespace file. */
  const netns = (args: string[]) => inContainerdMounts(['ip', 'netns', ...args]);

  /** The hostname the UTS namespace file holds, or undefined when it is no UTS namespace (gone, a plain file). */
  async function utsHostname(path: string): Promise<string | undefined> {
    const pid = await containerdPid();
    const argv = [`--uts=${path}`, '--', 'hostname'];
    const r = await cmd.run('nsenter', pid === undefined ? argv : [`--mount=/proc/${pid}/ns/mnt`, ...argv]);
    return r.exitCode === 0 ? r.stdout.trim() : undefined;
  }

  /** The pod's UTS namespace with its hostname: made when missing, the hostname set when it differs. */
  async function ensureUts(rec: SandboxRecord, hostname: string): Promise<void> {
    const path = rec.uts ?? join(UTS_DIR, rec.netns.split('/').pop()!);
    const have = await utsHostname(path);
    if (have === undefined) {
      await inContainerdMounts(['mkdir', '-p', UTS_DIR]);
      await inContainerdMounts(['touch', path]);
      await inContainerdMounts(['unshare', `--uts=${path}`, 'hostname', hostname]);
    } else if (have !== hostname) {
      await inContainerdMounts(['nsenter', `--uts=${path}`, '--', 'hostname', hostname]);
    }
    if (rec.uts !== path) {
      rec.uts = path;
      await write(rec);
    }
  }

  async function removeUts(path: string): Promise<void> {
    if ((await utsHostname(path)) !== undefined) await inContainerdMounts(['umount', path]);
    await inContainerdMounts(['rm', '-f', path]);
  }

  async function netnsExists(path: string): Promise<boolean> {
    const name = path.split('/').pop()!;
    const list = await cmd.read('ip', ['netns', 'list']);
    return list.split('\n').some((l) => l.split(' ')[0] === name);
  }

  async function teardown(rec: SandboxRecord): Promise<void> {
    const name = rec.netns.split('/').pop()!;
    const at = (ifName: string) => ({ containerId: rec.id, netnsPath: rec.netns, ifName });
    // DEL even when the namespace is gone: host-local releases the address, portmap its rules
    try {
      await cni.del(rec.eth0, at('eth0'), rec.result);
    } catch (err) {
      log.warn({ err, uid: rec.uid }, 'CNI DEL of eth0 failed; removing the namespace anyway');
    }
    if (await netnsExists(rec.netns)) {
      await cni.del(rec.lo, at('lo'), undefined).catch((err: unknown) => log.debug({ err }, 'CNI DEL of lo failed'));
      await netns(['delete', name]);
    }
    if (rec.uts) await removeUts(rec.uts);
    await rm(recordPath(rec.uid), { force: true });
    cache.delete(rec.uid);
    log.info({ uid: rec.uid, sandbox: rec.id, netns: rec.netns }, 'pod sandbox torn down');
  }

  return {
    async ensure(pod, ports, ctx) {
      const uid = podUid(pod);
      const eth0 = podNetworkPlugins({ bridge: opts.bridge, podCIDR: ctx.podCIDR, mtu: ctx.mtu, ipamDataDir }, ports);
      const key = createHash('sha256').update(JSON.stringify(eth0)).digest('hex').slice(0, 16);
      const had = await read(uid);
      if (had?.complete && had.key === key && (await netnsExists(had.netns))) {
        await ensureUts(had, ctx.hostname);
        return view(had);
      }
      if (had) {
        log.info({ uid, sandbox: had.id, reason: !had.complete ? 'half made' : had.key !== key ? 'network changed' : 'namespace gone' }, 'pod sandbox made anew');
        await teardown(had);
      }
      const name = netnsName(opts.netnsPrefix, uid);
      const rec: SandboxRecord = { uid, id: randomBytes(8).toString('hex'), netns: `/run/netns/${name}`, key, eth0, lo: loopbackPlugins(), complete: false };
      await write(rec);
      try {
        if (await netnsExists(rec.netns)) await netns(['delete', name]); // a leftover without a record
        await netns(['add', name]);
        await cni.add(rec.lo, { containerId: rec.id, netnsPath: rec.netns, ifName: 'lo' });
        rec.result = await cni.add(rec.eth0, { containerId: rec.id, netnsPath: rec.netns, ifName: 'eth0' });
        await ensureUts(rec, ctx.hostname);
      } catch (err) {
        await teardown(rec).catch((e: unknown) => log.warn({ err: e, uid }, 'could not undo a half-made sandbox'));
        if (err instanceof PodNetworkError) throw err;
        throw new PodNetworkError(`cannot make the network namespace of pod ${uid}: ${(err as Error).message}`, { cause: err });
      }
      rec.complete = true;
      await write(rec);
      log.info({ uid, sandbox: rec.id, netns: rec.netns, ips: resultIPs(rec.result) }, 'pod sandbox made');
      return view(rec);
    },
    current(uid) {
      const rec = cache.get(uid);
      return rec?.complete ? view(rec) : undefined;
    },
    async release(uid) {
      const rec = await read(uid);
      if (rec) await teardown(rec);
    },
    async prune(keep) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return;
      }
      for (const n of names) {
        if (!n.endsWith('.json')) continue;
        const uid = decodeURIComponent(n.slice(0, -'.json'.length));
        if (keep.has(uid)) continue;
        const rec = await read(uid);
        if (rec) await teardown(rec);
      }
    },
  };
}

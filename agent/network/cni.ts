/**
 * Running CNI plugins as the CNI spec says a runtime does (libcni's job, done here for a chain of
 * plugins): each plugin is an executable under CNI_PATH, called with CNI_COMMAND, CNI_CONTAINERID,
 * CNI_NETNS, CNI_IFNAME, CNI_PATH in its environment and its configuration on stdin; ADD runs the chain
 * in order, each plugin getting the previous one's result as prevResult; DEL runs it in reverse with the
 * ADD's result. A DEL of something already gone succeeds (the plugins are idempotent on DEL).
 */
import { join } from 'node:path';
import type { Logger } from '../../protocol/logger.js';
import type { ProcessRunner } from '../../runtime-adapters/process-runner.js';
import { PodNetworkError } from '../errors.js';
import { pluginStdin, type CniPluginConfig, type CniResult } from './cni-config.js';

export interface CniAttachment {
  containerId: string;
  netnsPath: string;
  ifName: string;
}

export interface Cni {
  add(plugins: CniPluginConfig[], at: CniAttachment): Promise<CniResult>;
  del(plugins: CniPluginConfig[], at: CniAttachment, prevResult: CniResult | undefined): Promise<void>;
}

export function createCni(opts: { cniPath: string; run: ProcessRunner; logger: Logger }): Cni {
  const log = opts.logger.child({ component: 'cni' });

  async function exec(command: 'ADD' | 'DEL', plugin: CniPluginConfig, at: CniAttachment, prevResult: unknown): Promise<unknown> {
    const env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: at.containerId,
      CNI_NETNS: at.netnsPath,
      CNI_IFNAME: at.ifName,
      CNI_PATH: opts.cniPath,
    };
    const file = join(opts.cniPath, plugin.type);
    log.debug({ command, plugin: plugin.type, containerId: at.containerId, ifName: at.ifName }, 'cni');
    const result = await opts.run(file, [], { env, input: pluginStdin(plugin, prevResult) });
    if (result.spawnError) {
      throw new PodNetworkError(
        `cannot run the CNI plugin ${file} (${result.spawnError.code ?? result.spawnError.message}); install it with \`apt-get install -y containernetworking-plugins\``,
        { cause: result.spawnError },
      );
    }
    if (result.exitCode !== 0) {
      // a plugin reports its error as JSON on stdout: { code, msg, details }
      let msg = result.stderr.trim() || result.stdout.trim();
      try {
        const err = JSON.parse(result.stdout) as { msg?: string; details?: string };
        if (err.msg) msg = err.details ? `${err.msg}: ${err.details}` : err.msg;
      } catch {
        // not JSON: the raw output stays the message
      }
      throw new PodNetworkError(`CNI ${command} ${plugin.type} on ${at.ifName} of ${at.containerId} failed: ${msg}`);
    }
    if (command === 'DEL' || !result.stdout.trim()) return prevResult;
    return JSON.parse(result.stdout) as unknown;
  }

  return {
    async add(plugins, at) {
      let prev: unknown;
      for (const p of plugins) prev = await exec('ADD', p, at, prev);
      return (prev ?? {}) as CniResult;
    },
    async del(plugins, at, prevResult) {
      const errors: Error[] = [];
      // every plugin gets its DEL even if one fails, so a half-made attachment is cleaned as far as possible
      for (const p of [...plugins].reverse()) {
        try {
          await exec('DEL', p, at, prevResult);
        } catch (err) {
          errors.push(err as Error);
        }
      }
      if (errors.length > 0) throw errors[0]!;
    },
  };
}

/**
 * A real hub in this process, serving HTTPS (its default), and the real kubectl (the one on PATH)
 * pointed at it through a kubeconfig built as `drover kubeconfig` builds it, with the hub's CA and the
 * admin token.
 */
import { execa } from 'execa';
import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Kubeconfig } from '../../hub/cli/kubeconfig.js';
import { buildKubeconfig, formatKubeconfig, mergeIntoKubeconfig } from '../../hub/cli/kubeconfig-write.js';
import { createHub, type Hub, type HubOptions } from '../../hub/hub.js';
import { silentLogger } from '../../protocol/index.js';

export interface CompatHub {
  hub: Hub;
  dir: string;
  kubeconfig: string;
  /** Run kubectl against the hub; never throws on a non-zero exit (stdout and stderr together in `out`). */
  kubectl(args: string[], input?: string): Promise<{ code: number; out: string; stdout: string }>;
  close(): Promise<void>;
}

export async function startCompatHub(prefix: string, options: Partial<HubOptions> = {}): Promise<CompatHub> {
  const dir = await mkdtemp(join(tmpdir(), `drover-compat-${prefix}-`));
  const hub = await createHub({ dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { host: '127.0.0.1', port: 0 }, logger: silentLogger(), ...options });
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, { server: hub.httpUrl, certificateAuthority: hub.caCertPath, users: { admin: hub.adminToken } });
  return {
    hub,
    dir,
    kubeconfig,
    async kubectl(args, input) {
      const r = await execa('kubectl', ['--kubeconfig', kubeconfig, ...args], { reject: false, timeout: 60_000, env: { HOME: dir }, ...(input !== undefined ? { input } : {}) });
      return { code: r.exitCode ?? 1, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
    },
    async close() {
      await hub.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A kubeconfig for a hub, built and merged as `drover kubeconfig [--merge]` does it: one cluster, user
 * and context per token (`users`, named after it; the first one current, namespace default), the CA
 * by its path: `kubectl --context view ...` runs as the view token.
 */
export async function writeKubeconfig(path: string, o: { server: string; certificateAuthority: string; users: Record<string, string> }): Promise<void> {
  let config: Kubeconfig | undefined;
  for (const [name, token] of Object.entries(o.users)) {
    const entry = buildKubeconfig({ name, server: o.server, certificateAuthorityPath: o.certificateAuthority, token, namespace: 'default' });
    config = mergeIntoKubeconfig(config, entry, false).config;
  }
  await writeFile(path, formatKubeconfig(config!), { mode: 0o600 });
}

/**
 * The kubectl to test with: $DROVER_KUBECTL, else the one on PATH. Google's kubectl dispatcher (the
 * Cloud SDK's `kubectl`) runs the `kubectl.1.N` beside it that matches the server's /version (1.30 for
 * the hub today), not the newest; where `kubectl.1.32` sits beside it, that one is taken, as a user's
 * plain kubectl 1.32 would talk to the hub.
 */
export function kubectlBinary(minor = 32): string {
  if (process.env.DROVER_KUBECTL) return process.env.DROVER_KUBECTL;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, 'kubectl');
    if (!existsSync(candidate)) continue;
    const pinned = join(dirname(realpathSync(candidate)), `kubectl.1.${minor}`);
    return existsSync(pinned) ? pinned : candidate;
  }
  return 'kubectl';
}

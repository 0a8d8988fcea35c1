/**
 * A real hub in this process, serving HTTPS (its default), and the real kubectl (the one on PATH)
 * pointed at it through the kubeconfig `drover kubeconfig` writes (the hub's CA embedded, the admin
 * token).
 */
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKubeconfig, formatKubeconfig } from '../../hub/cli/kubeconfig-write.js';
import { createHub, type Hub } from '../../hub/hub.js';
import { silentLogger } from '../../protocol/index.js';

export interface CompatHub {
  hub: Hub;
  dir: string;
  kubeconfig: string;
  /** Run kubectl against the hub; never throws on a non-zero exit (stdout and stderr together in `out`). */
  kubectl(args: string[], input?: string): Promise<{ code: number; out: string; stdout: string }>;
  close(): Promise<void>;
}

export async function startCompatHub(prefix: string): Promise<CompatHub> {
  const dir = await mkdtemp(join(tmpdir(), `drover-compat-${prefix}-`));
  const hub = await createHub({ dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, mqtt: { host: '127.0.0.1', port: 0 }, logger: silentLogger() });
  const kubeconfig = join(dir, 'kubeconfig');
  // what `drover kubeconfig` prints for this hub
  const config = buildKubeconfig({ name: 'drover', server: hub.httpUrl, certificateAuthority: await readFile(hub.caCertPath, 'utf8'), token: hub.adminToken, namespace: 'default' });
  await writeFile(kubeconfig, formatKubeconfig(config), { mode: 0o600 });
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

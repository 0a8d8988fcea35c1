/**
 * A real hub in this process, serving HTTPS, and the real kubectl (the one on PATH) pointed at it
 * through a kubeconfig with the hub's CA and the admin token.
 */
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  const hub = await createHub({ dataDir: join(dir, 'hub'), http: { host: '127.0.0.1', port: 0 }, httpTls: true, mqtt: { host: '127.0.0.1', port: 0 }, logger: silentLogger(), ...options });
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
  - name: drover
    cluster: { server: "${hub.httpUrl}", certificate-authority: "${hub.caCertPath}" }
users:
  - name: admin
    user: { token: "${hub.adminToken}" }
contexts:
  - name: drover
    context: { cluster: drover, user: admin, namespace: default }
current-context: drover
`,
    { mode: 0o600 },
  );
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

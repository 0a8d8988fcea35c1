/**
 * A pod's resolv.conf file: written into the pod's directory (<data dir>/pods/<uid>/resolv.conf) and
 * bind-mounted read-only at /etc/resolv.conf in every container of the pod, under containerd and Docker
 * alike (Docker's own file on a user-defined network names its embedded resolver, 127.0.0.11, instead).
 * Rewritten in place, not renamed over: a bind-mounted file keeps its inode, so running containers see a change.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Mount } from '../../runtime-adapters/runtime.js';
import { renderResolvConf, type DnsSettings } from './resolv-conf.js';

export function resolvConfPath(dataDir: string, uid: string): string {
  return join(dataDir, 'pods', uid, 'resolv.conf');
}

/** Write the pod's resolv.conf if its content changed; the mount its containers get. */
export async function writePodResolvConf(dataDir: string, uid: string, dns: DnsSettings): Promise<Mount> {
  const path = resolvConfPath(dataDir, uid);
  const text = renderResolvConf(dns);
  let have: string | undefined;
  try {
    have = await readFile(path, 'utf8');
  } catch {
    have = undefined;
  }
  if (have !== text) {
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    await writeFile(path, text, { mode: 0o644 });
  }
  return { hostPath: path, containerPath: '/etc/resolv.conf', readOnly: true };
}

/**
 * A pod's resolv.conf file: written into the pod's directory (<data dir>/pods/<uid>/resolv.conf) and
 * bind-mounted read-only at /etc/resolv.conf in every container of the pod, under containerd and Docker
 * alike (Docker's own file on a user-defined network names its embedded resolver, 127.0.0.11, instead).
 * Rewritten in place, not renamed over: a bind-mounted file keeps its inode, so running containers see a change.
 */
import { join } from 'node:path';
import type { Mount } from '../../runtime-adapters/runtime.js';
import { writePodFile } from './pod-file.js';
import { renderResolvConf, type DnsSettings } from './resolv-conf.js';

export function resolvConfPath(dataDir: string, uid: string): string {
  return join(dataDir, 'pods', uid, 'resolv.conf');
}

/** Write the pod's resolv.conf if its content changed; the mount its containers get. */
export async function writePodResolvConf(dataDir: string, uid: string, dns: DnsSettings): Promise<Mount> {
  const path = resolvConfPath(dataDir, uid);
  await writePodFile(path, renderResolvConf(dns));
  return { hostPath: path, containerPath: '/etc/resolv.conf', readOnly: true };
}

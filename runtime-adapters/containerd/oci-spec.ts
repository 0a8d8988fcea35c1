/**
 * The OCI spec a container finally runs with, from the one `ctr containers create` made (image config, mounts,
 * namespaces, limits, seccomp) plus what must not go through ctr's command line or what ctr 1.6 has no flag
 * for: the environment (values may be Secrets, multi-line ones included), the user and groups, capabilities,
 * no_new_privs and a read-only root. Pure; containers-api.ts stores the result in containerd.
 */
import type { ContainerSecurity } from '../runtime.js';

/** The part of an OCI runtime spec this module reads and writes; the rest is passed through untouched. */
export interface OciSpec {
  process?: {
    env?: string[];
    user?: { uid: number; gid: number; additionalGids?: number[]; umask?: number; username?: string };
    capabilities?: { bounding?: string[]; effective?: string[]; permitted?: string[]; inheritable?: string[]; ambient?: string[] };
    noNewPrivileges?: boolean;
    [key: string]: unknown;
  };
  root?: { path: string; readonly?: boolean };
  [key: string]: unknown;
}

/** Every Linux capability (for `add: [ALL]`), as containerd's and runc's lists name them. */
const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** "net_bind_service", "NET_BIND_SERVICE", "CAP_NET_BIND_SERVICE" -> "CAP_NET_BIND_SERVICE"; "ALL" stays. */
export function capabilityName(name: string): string {
  const upper = name.toUpperCase();
  return upper === 'ALL' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** Kubernetes' order: drop (ALL empties the set), then add. */
export function applyCapabilities(current: readonly string[], caps: ContainerSecurity['capabilities']): string[] {
  const drop = (caps?.drop ?? []).map(capabilityName);
  const add = (caps?.add ?? []).map(capabilityName);
  let set = drop.includes('ALL') ? [] : current.filter((c) => !drop.includes(c));
  if (add.includes('ALL')) set = [...ALL_CAPABILITIES];
  for (const c of add) if (c !== 'ALL' && !set.includes(c)) set.push(c);
  return set;
}

/** `env` over the spec's own (the image's, PATH, HOSTNAME): a name already there is replaced in place. */
export function mergeEnv(current: readonly string[], env: Record<string, string>): string[] {
  const out = [...current];
  for (const [k, v] of Object.entries(env)) {
    const i = out.findIndex((e) => e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')) === k);
    if (i >= 0) out[i] = `${k}=${v}`;
    else out.push(`${k}=${v}`);
  }
  return out;
}

/** The spec with the environment and the security context applied. `base` is not changed. */
export function completeSpec(base: OciSpec, env: Record<string, string>, security: ContainerSecurity = {}): OciSpec {
  const spec = structuredClone(base);
  const proc = (spec.process ??= {});
  proc.env = mergeEnv(proc.env ?? [], env);
  const user = (proc.user ??= { uid: 0, gid: 0 });
  if (security.runAsUser !== undefined) {
    user.uid = security.runAsUser;
    // a uid given without a group runs with gid 0, as Docker and the CRI do when the image does not name it
    user.gid = security.runAsGroup ?? 0;
    user.additionalGids = [user.gid];
    delete user.username;
  } else if (security.runAsGroup !== undefined) {
    user.gid = security.runAsGroup;
    user.additionalGids = [user.gid];
  }
  if (security.supplementalGroups?.length) {
    user.additionalGids = [...new Set([...(user.additionalGids ?? [user.gid]), ...security.supplementalGroups])];
  }
  if (!security.privileged && security.capabilities) {
    const caps = (proc.capabilities ??= {});
    for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = applyCapabilities(caps[set] ?? [], security.capabilities);
    if (caps.inheritable) caps.inheritable = applyCapabilities(caps.inheritable, { drop: security.capabilities.drop ?? [] });
    if (caps.ambient) caps.ambient = applyCapabilities(caps.ambient, { drop: security.capabilities.drop ?? [] });
  }
  if (security.allowPrivilegeEscalation === false) proc.noNewPrivileges = true;
  else if (security.allowPrivilegeEscalation === true || security.privileged) proc.noNewPrivileges = false;
  if (security.readOnlyRootFilesystem) spec.root = { ...(spec.root ?? { path: 'rootfs' }), readonly: true };
  return spec;
}

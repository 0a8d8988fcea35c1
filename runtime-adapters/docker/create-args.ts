/** The arguments of `docker create` for a ContainerSpec. Pure, tested directly. */
import type { ContainerSecurity, ContainerSpec } from '../runtime.js';
import { managedLabels } from '../spec-checks.js';

/**
 * Arguments of `docker create` for a spec. With `envFile`, the environment is read from that file; what an env
 * file cannot carry (`inlineEnv`: values holding a newline, see env-file.ts) is named with `--env NAME` alone,
 * which docker fills from its own environment: the caller runs the CLI with `inlineEnv` as its environment
 * (dockerCreateEnv). No env value is ever on the command line.
 */
export function dockerCreateArgs(spec: ContainerSpec, envFile?: string, inlineEnv: Record<string, string> = spec.env, imageUser = ''): string[] {
  const args = ['create', '--pull', 'never', '--name', spec.name];
  for (const [k, v] of Object.entries(managedLabels(spec.labels))) args.push('--label', `${k}=${v}`);
  if (envFile) args.push('--env-file', envFile);
  for (const k of Object.keys(envFile ? inlineEnv : spec.env)) args.push('--env', k);
  if (spec.workingDir) args.push('--workdir', spec.workingDir);
  // docker create -i always sets StdinOnce: there is no CLI flag for stdin kept open across attaches
  if (spec.stdin) args.push('--interactive');
  if (spec.tty) args.push('--tty');
  if (spec.hostNetwork) {
    args.push('--network', 'host');
  } else if (spec.network?.mode === 'container') {
    // the pod's sandbox holds the network, its IP and its published host ports
    args.push('--network', `container:${spec.network.container}`);
  } else {
    for (const p of spec.ports) {
      if (p.hostPort === undefined) continue;
      const ip = p.hostIP ? `${p.hostIP}:` : '';
      args.push('--publish', `${ip}${p.hostPort}:${p.containerPort}/${p.protocol.toLowerCase()}`);
    }
  }
  for (const m of spec.mounts) args.push('--volume', `${m.hostPath}:${m.containerPath}${m.readOnly ? ':ro' : ''}`);
  if (spec.cpuLimitMillis !== undefined) args.push('--cpus', (spec.cpuLimitMillis / 1000).toString());
  if (spec.memoryLimitBytes !== undefined) args.push('--memory', `${Math.floor(spec.memoryLimitBytes)}b`);
  args.push(...dockerSecurityArgs(spec.security, imageUser));
  let positional: string[] = spec.args ?? [];
  if (spec.command && spec.command.length > 0) {
    args.push('--entrypoint', spec.command[0]!);
    positional = [...spec.command.slice(1), ...(spec.args ?? [])];
  }
  args.push(spec.image, ...positional);
  return args;
}


/** The environment to run `docker create` with for dockerCreateArgs' `--env NAME` flags. */
export function dockerCreateEnv(spec: ContainerSpec, envFile?: string, inlineEnv: Record<string, string> = spec.env): Record<string, string> {
  return envFile ? inlineEnv : spec.env;
}

/**
 * The security context as docker flags: --user uid[:gid] (with only runAsGroup, the image's user with that
 * group), --group-add, --privileged, --cap-drop then --cap-add (docker takes names with or without CAP_, and
 * ALL), --security-opt no-new-privileges (allowPrivilegeEscalation false), --read-only, and seccomp: Docker's
 * default profile for RuntimeDefault (and when unset), `seccomp=unconfined`, or the Localhost profile's file.
 */
export function dockerSecurityArgs(security: ContainerSecurity | undefined, imageUser = ''): string[] {
  if (!security) return [];
  const args: string[] = [];
  if (security.runAsUser !== undefined) {
    args.push('--user', security.runAsGroup === undefined ? String(security.runAsUser) : `${security.runAsUser}:${security.runAsGroup}`);
  } else if (security.runAsGroup !== undefined) {
    args.push('--user', `${imageUser.split(':')[0] || '0'}:${security.runAsGroup}`);
  }
  for (const g of security.supplementalGroups ?? []) args.push('--group-add', String(g));
  if (security.privileged) args.push('--privileged');
  for (const c of security.capabilities?.drop ?? []) args.push('--cap-drop', c);
  for (const c of security.capabilities?.add ?? []) args.push('--cap-add', c);
  if (security.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  if (security.readOnlyRootFilesystem) args.push('--read-only');
  if (security.seccomp?.type === 'Unconfined') args.push('--security-opt', 'seccomp=unconfined');
  if (security.seccomp?.type === 'Localhost') args.push('--security-opt', `seccomp=${security.seccomp.path}`);
  return args;
}

import { InvalidSpecError, RunAsRootError } from './errors.js';
import type { ContainerSecurity, ContainerSpec } from './runtime.js';
import { RUNTIME_LABELS } from '../protocol/pod-helpers.js';
import { isValidImageReference } from '../protocol/image-ref.js';

/** Checks every adapter applies before creating a container. */
export function checkSpec(runtime: string, spec: ContainerSpec): void {
  if (!spec.name) throw new InvalidSpecError(runtime, 'container name is empty');
  if (!spec.image) throw new InvalidSpecError(runtime, `container ${spec.name}: image is empty`);
  if (!isValidImageReference(spec.image)) {
    throw new InvalidSpecError(runtime, `container ${spec.name}: invalid image reference ${JSON.stringify(spec.image.slice(0, 100))}`);
  }
  for (const p of spec.ports) {
    if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) {
      throw new InvalidSpecError(runtime, `container ${spec.name}: containerPort ${p.containerPort} is not a port number`);
    }
    if (p.hostPort !== undefined && (!Number.isInteger(p.hostPort) || p.hostPort < 1 || p.hostPort > 65535)) {
      throw new InvalidSpecError(runtime, `container ${spec.name}: hostPort ${p.hostPort} is not a port number`);
    }
    if (spec.hostNetwork && p.hostPort !== undefined && p.hostPort !== p.containerPort) {
      throw new InvalidSpecError(
        runtime,
        `container ${spec.name}: with hostNetwork, hostPort (${p.hostPort}) must equal containerPort (${p.containerPort})`,
      );
    }
  }
  for (const m of spec.mounts) {
    if (!m.hostPath.startsWith('/') || !m.containerPath.startsWith('/')) {
      throw new InvalidSpecError(runtime, `container ${spec.name}: mount paths must be absolute (${m.hostPath} -> ${m.containerPath})`);
    }
  }
  if (spec.network && spec.hostNetwork) {
    throw new InvalidSpecError(runtime, `container ${spec.name}: a host-network container cannot join a pod network (${spec.network.mode})`);
  }
  if (spec.network?.mode === 'netns' && !spec.network.path.startsWith('/')) {
    throw new InvalidSpecError(runtime, `container ${spec.name}: network namespace path must be absolute (${spec.network.path})`);
  }
  if (spec.network?.mode === 'netns' && spec.network.uts !== undefined && !spec.network.uts.startsWith('/')) {
    throw new InvalidSpecError(runtime, `container ${spec.name}: UTS namespace path must be absolute (${spec.network.uts})`);
  }
  if (spec.network?.mode === 'container' && !spec.network.container) {
    throw new InvalidSpecError(runtime, `container ${spec.name}: the container whose network to join is not named`);
  }
  if (spec.command && spec.command.length === 0) {
    throw new InvalidSpecError(runtime, `container ${spec.name}: command is an empty list`);
  }
}

/** Refuse a pod network mode this runtime cannot join. */
export function checkNetworkMode(runtime: string, spec: ContainerSpec, supported: ReadonlyArray<'netns' | 'container'>): void {
  if (spec.network && !supported.includes(spec.network.mode)) {
    throw new InvalidSpecError(runtime, `container ${spec.name}: the ${runtime} adapter cannot join a network of mode ${spec.network.mode}`);
  }
}

/** Kubernetes semantics: command replaces the image ENTRYPOINT, args replaces its CMD. */
export function resolveArgv(
  image: { entrypoint: string[]; cmd: string[] },
  command: string[] | undefined,
  args: string[] | undefined,
): string[] {
  if (command && command.length > 0) return [...command, ...(args ?? [])];
  return [...image.entrypoint, ...(args ?? image.cmd)];
}

/** Labels every Drover container carries, merged over the caller's. */
export function managedLabels(labels: Record<string, string>): Record<string, string> {
  return { ...labels, [RUNTIME_LABELS.managed]: 'true' };
}

/**
 * The kubelet's runAsNonRoot check (verifyRunAsNonRoot) against the image's configured user ("", "root",
 * "1000", "1000:1000", "nginx"): throws RunAsRootError with the kubelet's words when the container would run
 * as root or its user cannot be known to be non-root.
 */
export function checkRunAsNonRoot(runtime: string, security: ContainerSecurity | undefined, imageUser: string): void {
  if (!security?.runAsNonRoot) return;
  if (security.runAsUser !== undefined) {
    if (security.runAsUser === 0) throw new RunAsRootError(runtime, "container's runAsUser breaks non-root policy");
    return;
  }
  const user = imageUser.split(':')[0] ?? '';
  if (user === '' || user === '0') throw new RunAsRootError(runtime, 'container has runAsNonRoot and image will run as root');
  if (!/^[0-9]+$/.test(user)) {
    throw new RunAsRootError(runtime, `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root`);
  }
}

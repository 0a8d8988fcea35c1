/** The arguments of `ctr containers create` for a ContainerSpec. Pure. */
import type { ContainerSpec } from '../runtime.js';
import { managedLabels } from '../spec-checks.js';
import { ownLabels } from './container-labels.js';
import { sanitiseContainerId } from './names.js';
import { RUNTIME_LABELS } from '../../protocol/pod-helpers.js';

/** CPU quota period, 100 ms as Docker uses. */
const CPU_PERIOD_MICROS = 100_000;

/**
 * The pod's network namespace when it has one (`--with-ns=network:PATH`, made and attached through CNI by the
 * agent's pod network; its UTS namespace too, `--with-ns=uts:PATH`, when given), else host networking (ctr sets up no CNI of its own).
 * No environment: every value (they may be Secrets) goes into the spec through containerd's API afterwards
 * (containers-api.ts, oci-spec.ts), never on this command line; so does the spec-hash label (`deferredLabels`),
 * so that a container whose spec was never completed (the agent died in between) is seen as changed and replaced.
 * Seccomp and privileged are ctr's flags (ctr makes the default profile); the rest of the security context is
 * applied to the spec by oci-spec.ts. Flags in --name=value form only: ctr's CLI parser otherwise takes the image
 * for a flag's value.
 */
export function ctrCreateArgs(spec: ContainerSpec, ref: string, argv: string[] | undefined): string[] {
  const deferred = deferredLabels(spec);
  const labels = Object.fromEntries(Object.entries({ ...managedLabels(spec.labels), ...ownLabels(spec) }).filter(([k]) => !(k in deferred)));
  const args = ['containers', 'create', spec.network?.mode === 'netns' ? `--with-ns=network:${spec.network.path}` : '--net-host=true'];
  // the pod's hostname lives in a UTS namespace the pod network made and named (ctr 1.6 has no --hostname)
  if (spec.network?.mode === 'netns' && spec.network.uts) args.push(`--with-ns=uts:${spec.network.uts}`);
  for (const [k, v] of Object.entries(labels)) args.push(`--label=${k}=${v}`);
  const security = spec.security ?? {};
  if (security.privileged) args.push('--privileged=true');
  if (security.seccomp?.type === 'RuntimeDefault') args.push('--seccomp=true');
  if (security.seccomp?.type === 'Localhost') args.push('--seccomp=true', `--seccomp-profile=${security.seccomp.path}`);
  if (spec.workingDir) args.push(`--cwd=${spec.workingDir}`);
  if (spec.tty) args.push('--tty=true');
  for (const m of spec.mounts) {
    args.push(`--mount=type=bind,src=${m.hostPath},dst=${m.containerPath},options=rbind:${m.readOnly ? 'ro' : 'rw'}`);
  }
  if (spec.memoryLimitBytes !== undefined) args.push(`--memory-limit=${Math.floor(spec.memoryLimitBytes)}`);
  if (spec.cpuLimitMillis !== undefined) {
    args.push(`--cpu-period=${CPU_PERIOD_MICROS}`, `--cpu-quota=${Math.max(1000, Math.round((spec.cpuLimitMillis * CPU_PERIOD_MICROS) / 1000))}`);
  }
  args.push(ref, sanitiseContainerId(spec.name), '--', ...(argv ?? []));
  return args;
}

/** The labels set only once the spec is complete (with it, through containerd's API). */
export function deferredLabels(spec: ContainerSpec): Record<string, string> {
  const hash = spec.labels[RUNTIME_LABELS.specHash];
  return hash === undefined ? {} : { [RUNTIME_LABELS.specHash]: hash };
}

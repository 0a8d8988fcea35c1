/** The arguments of `ctr containers create` for a ContainerSpec. Pure. */
import type { ContainerSpec } from '../runtime.js';
import { managedLabels } from '../spec-checks.js';
import { ownLabels } from './container-labels.js';
import { sanitiseContainerId } from './names.js';

/** CPU quota period, 100 ms as Docker uses. */
const CPU_PERIOD_MICROS = 100_000;

/**
 * The pod's network namespace when it has one (`--with-ns=network:PATH`, made and attached through CNI by the
 * agent's pod network; its UTS namespace too, `--with-ns=uts:PATH`, when given), else host networking (ctr sets up no CNI of its own). With `envFile`, the environment comes from that
 * file and only `inlineEnv` (what an env file cannot carry, see env-file.ts) goes on the command line.
 * Flags in --name=value form only: ctr's CLI parser otherwise takes the image for a flag's value.
 */
export function ctrCreateArgs(spec: ContainerSpec, ref: string, argv: string[] | undefined, envFile: string | undefined, inlineEnv: Record<string, string>): string[] {
  const labels = { ...managedLabels(spec.labels), ...ownLabels(spec) };
  const args = ['containers', 'create', spec.network?.mode === 'netns' ? `--with-ns=network:${spec.network.path}` : '--net-host=true'];
  // the pod's hostname lives in a UTS namespace the pod network made and named (ctr 1.6 has no --hostname)
  if (spec.network?.mode === 'netns' && spec.network.uts) args.push(`--with-ns=uts:${spec.network.uts}`);
  for (const [k, v] of Object.entries(labels)) args.push(`--label=${k}=${v}`);
  if (envFile) args.push(`--env-file=${envFile}`);
  for (const [k, v] of Object.entries(inlineEnv)) args.push(`--env=${k}=${v}`);
  if (spec.workingDir) args.push(`--cwd=${spec.workingDir}`);
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

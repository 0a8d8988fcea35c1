/**
 * Labels the adapter keeps on each containerd container for itself: the original (unsanitised) name, the
 * image as asked for, and the ports. ContainerInfo.labels leaves them out.
 */
import type { ContainerSpec, PortMapping } from '../runtime.js';

export const OWN_LABELS = {
  name: 'io.drover.containerd.name',
  image: 'io.drover.containerd.image',
  ports: 'io.drover.containerd.ports',
  /** The network namespace the container joins (a pod network), absent for host networking. */
  netns: 'io.drover.containerd.netns',
  /** How the task's stdio is kept (task-console.ts): `stdin`, `stdin-once`, with `+tty`, or `tty`; absent: a log file only. */
  stdio: 'io.drover.containerd.stdio',
} as const;

const OWN = new Set<string>(Object.values(OWN_LABELS));

/** The adapter's own labels for a spec. */
export function ownLabels(spec: ContainerSpec): Record<string, string> {
  return {
    [OWN_LABELS.name]: spec.name,
    [OWN_LABELS.image]: spec.image,
    ...(spec.ports.length > 0 ? { [OWN_LABELS.ports]: JSON.stringify(spec.ports) } : {}),
    ...(spec.network?.mode === 'netns' ? { [OWN_LABELS.netns]: spec.network.path } : {}),
    ...(spec.stdin || spec.tty ? { [OWN_LABELS.stdio]: stdioLabel(spec) } : {}),
  };
}

/** What a container's task has for stdio: a console (task-console.ts) when it was made with stdin or a TTY. */
export interface TaskStdio {
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
}

function stdioLabel(spec: ContainerSpec): string {
  const parts = [...(spec.stdin ? [spec.stdinOnce ? 'stdin-once' : 'stdin'] : []), ...(spec.tty ? ['tty'] : [])];
  return parts.join('+');
}

/** The stdio a container was created with; undefined for one whose output goes to its log file only. */
export function stdioOf(labels: Record<string, string>): TaskStdio | undefined {
  const raw = labels[OWN_LABELS.stdio];
  if (!raw) return undefined;
  const parts = raw.split('+');
  return { stdin: parts.includes('stdin') || parts.includes('stdin-once'), stdinOnce: parts.includes('stdin-once'), tty: parts.includes('tty') };
}

/** Every label but the adapter's own. */
export function withoutOwnLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!OWN.has(k)) out[k] = v;
  return out;
}

/** The network namespace a container joins (undefined: host networking). */
export function netnsOf(labels: Record<string, string>): string | undefined {
  return labels[OWN_LABELS.netns];
}

/** The ports a container was created with. */
export function portsOf(labels: Record<string, string>): PortMapping[] {
  const raw = labels[OWN_LABELS.ports];
  return raw ? (JSON.parse(raw) as PortMapping[]) : [];
}

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
} as const;

const OWN = new Set<string>(Object.values(OWN_LABELS));

/** The adapter's own labels for a spec. */
export function ownLabels(spec: ContainerSpec): Record<string, string> {
  return {
    [OWN_LABELS.name]: spec.name,
    [OWN_LABELS.image]: spec.image,
    ...(spec.ports.length > 0 ? { [OWN_LABELS.ports]: JSON.stringify(spec.ports) } : {}),
    ...(spec.network?.mode === 'netns' ? { [OWN_LABELS.netns]: spec.network.path } : {}),
  };
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

/**
 * The node's desired set as the agent uses it, and how the agent names the pods in it. Shared by the
 * link (which receives, checks and stores the set) and the pods loop (which runs it); both may import
 * this module, neither imports the other.
 */
import { createHash } from 'node:crypto';
import type { DesiredSetMessage } from '../protocol/messages.js';
import type { Pod } from '../protocol/objects/pod.js';

/** A desired set as the agent uses it: every pod has a name (the hub never sends one without). */
export type DesiredSet = Omit<DesiredSetMessage, 'pods'> & { pods: Pod[] };

export function podNamespace(pod: Pod): string {
  return pod.metadata.namespace ?? 'default';
}

/** The pod's uid; pods from the hub always carry one, a stand-in is derived from namespace/name otherwise. */
export function podUid(pod: Pod): string {
  return pod.metadata.uid ?? `nouid-${createHash('sha256').update(`${podNamespace(pod)}/${pod.metadata.name}`).digest('hex').slice(0, 24)}`;
}

import type { Node } from '../../protocol/index.js';

/**
 * What about a node can change a scheduling decision. Heartbeats and live usage are left out, so a
 * node reporting in every few seconds does not send every waiting pod round the loop again.
 */
export function nodeSchedulingFingerprint(node: Node): string {
  return JSON.stringify([
    node.metadata.labels ?? {},
    node.spec ?? {},
    node.status?.allocatable ?? node.status?.capacity ?? {},
    node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '',
    (node.status?.images ?? []).map((i) => i.names),
  ]);
}

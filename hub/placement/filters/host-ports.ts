import { podFacts } from '../facts.js';
import { requestedOnNode } from '../snapshot.js';
import { FITS, SKIP, unfit, type NodeFilter } from './filter.js';

export const HOST_PORTS_REASON = "node(s) didn't have free ports for the requested pod ports";

/** Kubernetes' NodePorts: no host port (protocol/port) the pod claims may be taken on the node. */
export const hostPorts: NodeFilter<string[] | typeof SKIP> = {
  name: 'NodePorts',
  preFilter: (pod) => (podFacts(pod).hostPorts.length === 0 ? SKIP : podFacts(pod).hostPorts),
  filter(pod, node, snapshot, state, view) {
    const wanted = state === SKIP ? [] : (state ?? podFacts(pod).hostPorts);
    if (wanted.length === 0) return FITS;
    const taken = (view?.requested ?? requestedOnNode(snapshot, node.metadata.name)).hostPorts;
    return wanted.some((p) => taken.has(p)) ? unfit(HOST_PORTS_REASON) : FITS;
  },
};

import type { z } from 'zod';
import type { Node, Pod, nodeSelectorRequirementSchema, nodeSelectorTermSchema } from '../../../protocol/index.js';
import { FITS, SKIP, unfit, type NodeFilter } from './filter.js';

export const NODE_AFFINITY_REASON = "node(s) didn't match Pod's node affinity/selector";

type Requirement = z.infer<typeof nodeSelectorRequirementSchema>;
type Term = z.infer<typeof nodeSelectorTermSchema>;

const INTEGER = /^[+-]?\d+$/;

/** One NodeSelectorRequirement against a value that may be absent (Kubernetes' semantics). */
export function matchesRequirement(req: Requirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      // exactly one integer value; a label that is not an integer does not match
      if (value === undefined || values.length !== 1 || !INTEGER.test(values[0]!) || !INTEGER.test(value)) return false;
      const have = Number.parseInt(value, 10);
      const bound = Number.parseInt(values[0]!, 10);
      return req.operator === 'Gt' ? have > bound : have < bound;
    }
    default:
      return false;
  }
}

/**
 * One NodeSelectorTerm: its matchExpressions (on labels) and matchFields (only metadata.name, as in
 * Kubernetes) all hold. A term with no requirement at all matches nothing.
 */
export function matchesTerm(term: Term, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const req of exprs) {
    const value = Object.prototype.hasOwnProperty.call(labels, req.key) ? labels[req.key] : undefined;
    if (!matchesRequirement(req, value)) return false;
  }
  for (const req of fields) {
    const value = req.key === 'metadata.name' ? node.metadata.name : undefined;
    if (!matchesRequirement(req, value)) return false;
  }
  return true;
}

/** spec.nodeSelector (every label equal) and the required node affinity (any term matches). */
export function matchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) {
    if (labels[k] !== v) return false;
  }
  const required = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return required.nodeSelectorTerms.some((t) => matchesTerm(t, node));
  return true;
}

/** Kubernetes' NodeAffinity filter. */
export const nodeSelector: NodeFilter<typeof SKIP | undefined> = {
  name: 'NodeAffinity',
  preFilter: (pod) =>
    Object.keys(pod.spec.nodeSelector ?? {}).length === 0 && !pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ? SKIP : undefined,
  filter: (pod, node) => (matchesNodeSelectorAndAffinity(pod, node) ? FITS : unfit(NODE_AFFINITY_REASON)),
};

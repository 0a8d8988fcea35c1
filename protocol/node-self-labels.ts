/**
 * Labels a node may give itself when it first registers (the agent's `--labels k=v,...`, K3s' `--node-label`,
 * the kubelet's `--node-labels`): the admin's own labels (site=plant-3, rack=a) and Kubernetes' node-settable
 * prefixes, never the namespaces the hub or Kubernetes reserve. The same rule as Kubernetes' NodeRestriction
 * admission for labels a kubelet sets on its own Node: under kubernetes.io and k8s.io only the
 * `node.kubernetes.io/` and `kubelet.kubernetes.io/` prefixes and the well-known topology and instance-type keys;
 * `node-restriction.kubernetes.io/` never (it exists so admins can label nodes in a way a node cannot forge);
 * `drover.io/` is Drover's (the agent sets drover.io/agent-version itself).
 */
import { LABEL_KEY, LABEL_VALUE } from './objects/meta.js';

/** Keys under kubernetes.io / k8s.io that a node may set on itself (k8s.io/kubernetes pkg/kubelet/apis well_known_labels.go). */
const NODE_SETTABLE_KEYS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
]);
const NODE_SETTABLE_PREFIXES = ['kubelet.kubernetes.io/', 'node.kubernetes.io/'];
const RESERVED_DOMAINS = ['kubernetes.io', 'k8s.io', 'drover.io'];

function domainOf(key: string): string | undefined {
  const slash = key.indexOf('/');
  return slash < 0 ? undefined : key.slice(0, slash);
}

/** Why a node may not set label `key` on itself, or undefined when it may. */
export function selfLabelRefusal(key: string): string | undefined {
  const domain = domainOf(key);
  if (domain === undefined) return undefined;
  if (domain === 'node-restriction.kubernetes.io' || domain.endsWith('.node-restriction.kubernetes.io')) {
    return `${key}: node-restriction.kubernetes.io/ labels are set by admins only, never by the node itself`;
  }
  if (NODE_SETTABLE_KEYS.has(key) || NODE_SETTABLE_PREFIXES.some((p) => key.startsWith(p))) return undefined;
  const reserved = RESERVED_DOMAINS.find((d) => domain === d || domain.endsWith(`.${d}`));
  if (reserved) return `${key}: the ${reserved} prefix is reserved (a node may set only node.kubernetes.io/, kubelet.kubernetes.io/ and the topology labels under it)`;
  return undefined;
}

/** Every problem of a label set a node asks for: invalid keys or values, reserved prefixes. Empty when acceptable. */
export function selfLabelProblems(labels: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (key.length > 253 + 1 + 63 || !LABEL_KEY.test(key)) problems.push(`${key}: invalid label key (an optional DNS prefix and "/", then at most 63 letters, digits, "-", "_", ".")`);
    else if (typeof value !== 'string' || !LABEL_VALUE.test(value)) problems.push(`${key}: invalid label value "${String(value)}" (at most 63 letters, digits, "-", "_", ".")`);
    else {
      const refusal = selfLabelRefusal(key);
      if (refusal) problems.push(refusal);
    }
  }
  return problems;
}

/**
 * "k=v,k2=v2" (the agent's --labels, $DROVER_NODE_LABELS, what `drover flash --labels` writes) as a label set.
 * Throws an Error naming the bad entry: not key=value, a key given twice, an invalid or reserved label.
 */
export function parseSelfLabels(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`"${entry}" is not key=value`);
    const key = entry.slice(0, eq);
    if (key in out) throw new Error(`label ${key} is given twice`);
    out[key] = entry.slice(eq + 1);
  }
  const problems = selfLabelProblems(out);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return out;
}

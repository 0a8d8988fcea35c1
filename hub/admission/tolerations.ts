/**
 * Drover's own rule (not Kubernetes'): a toleration with `operator: Exists` and no key tolerates every
 * taint, NoExecute ones included, so the pod lands on and stays on any node: cordoned, failing or
 * reserved. Only requesters exempt from Pod Security (admin tokens by default) may write one, or anyone
 * in a namespace whose enforce level is privileged. Checked on Pods and on workload pod templates,
 * because the controllers create the template's pods on the writer's behalf.
 */
import type { PodSpec } from '../../protocol/objects/pod.js';

/** `tolerations[0]: ...` for the first toleration of every taint, or undefined. */
export function tolerateEveryTaintProblem(spec: PodSpec, fieldPrefix: string): string | undefined {
  const index = (spec.tolerations ?? []).findIndex((t) => t.operator === 'Exists' && (t.key === undefined || t.key === ''));
  if (index < 0) return undefined;
  return `${fieldPrefix}tolerations[${index}]: tolerating every taint (operator Exists without a key) needs an admin token or a namespace whose pod-security.kubernetes.io/enforce level is privileged`;
}

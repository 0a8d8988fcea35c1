import type { Pod, Taint, Toleration } from '../../../protocol/index.js';


/**
 * Kubernetes' Toleration.ToleratesTaint: the effect must match unless the toleration's is empty; the
 * key must match unless the toleration's is empty (with operator Exists: tolerate every key);
 * operator Exists ignores the value, Equal (the default) compares it.
 */
export function toleratesTaint(toleration: Toleration, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export function podToleratesTaint(pod: Pod, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  return (pod.spec.tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

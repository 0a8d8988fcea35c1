/**
 * The shape of one Pod Security check and the wording helpers Kubernetes' checks share
 * (pod-security-admission policy/checks.go and helpers.go): a check reads a pod spec and answers
 * allowed, or a forbidden reason ("host namespaces") with an optional detail ("hostNetwork=true").
 */
import type { Container, PodSpec } from '../../../protocol/objects/pod.js';

export type CheckResult = { allowed: true } | { allowed: false; reason: string; detail: string };

export interface Check {
  /** Kubernetes' check id (hostNamespaces, restrictedVolumes, ...): the order results are listed in. */
  id: string;
  /** Baseline checks apply at baseline and restricted; restricted ones at restricted only. */
  level: 'baseline' | 'restricted';
  /** Baseline checks this restricted check replaces at the restricted level. */
  overrides?: readonly string[];
  check(spec: PodSpec): CheckResult;
}

export const ALLOWED: CheckResult = { allowed: true };

export function forbidden(reason: string, detail: string): CheckResult {
  return { allowed: false, reason, detail };
}

/** `"a", "b"` */
export function joinQuote(items: readonly string[]): string {
  return items.length === 0 ? '' : `"${items.join('", "')}"`;
}

export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

/** Sorted without repeats, as Go's sets.List (byte order). */
export function sortedSet(items: Iterable<string>): string[] {
  return [...new Set(items)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Every container of the pod (Drover's pod spec has no init or ephemeral containers). */
export function containersOf(spec: PodSpec): readonly Container[] {
  return spec.containers;
}

/** The failed checks of one evaluation, in check order. */
export interface Verdict {
  allowed: boolean;
  reasons: string[];
  details: string[];
}

export function aggregate(results: readonly CheckResult[]): Verdict {
  const reasons: string[] = [];
  const details: string[] = [];
  for (const r of results) {
    if (r.allowed) continue;
    reasons.push(r.reason);
    details.push(r.detail);
  }
  return { allowed: reasons.length === 0, reasons, details };
}

/** `host namespaces (hostNetwork=true), hostPath volumes (volume "root")` */
export function forbiddenDetail(v: Verdict): string {
  return v.reasons.map((reason, i) => (v.details[i] ? `${reason} (${v.details[i]})` : reason)).join(', ');
}

/** `host namespaces, hostPath volumes`: the reasons alone (what the namespace check prints per pod). */
export function forbiddenReasons(v: Verdict): string {
  return v.reasons.join(', ');
}

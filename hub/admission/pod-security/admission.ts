/**
 * Pod Security admission, as Kubernetes' PodSecurity admission plugin
 * (pod-security-admission/admission/admission.go), for Pods, workload pod templates and Namespaces:
 *
 * - Pods (created, or updated with a changed spec): refused when they violate the namespace's enforce
 *   level (`violates PodSecurity "baseline:latest": ...`); otherwise a warning when they violate its
 *   warn level; the audit level's violations become audit annotations either way.
 * - Pod templates (Deployment, ReplicaSet, DaemonSet): warn and audit only, never refused; the
 *   controllers' pod creates are admitted like any other (the template's pods are refused then).
 * - Namespaces: labels that are not a level or version are refused (422); a change that makes the
 *   enforce level stricter warns about the existing pods that would not be admitted now; only an
 *   admin may set a level weaker than the hub's default for that namespace.
 *
 * Exemptions, as the admission configuration's `exemptions`: requesters (admin tokens by default, and
 * token ids), and namespaces. Drover's own toleration rule (tolerations.ts) is checked here too.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ObjectCache } from '../../cache/object-cache.js';
import type { Namespace } from '../../../protocol/objects/namespace.js';
import type { Pod, PodSpec, PodTemplateSpec } from '../../../protocol/objects/pod.js';
import {
  ANNOTATION_POD_SECURITY_AUDIT_VIOLATIONS,
  ANNOTATION_POD_SECURITY_ENFORCE_POLICY,
  ANNOTATION_POD_SECURITY_EXEMPT,
  SYSTEM_NAMESPACE,
} from '../../../protocol/well-known.js';
import { AdmissionForbiddenError, AdmissionInvalidError } from '../errors.js';
import { tolerateEveryTaintProblem } from '../tolerations.js';
import { forbiddenDetail } from './check.js';
import { evaluatePod } from './evaluator.js';
import { compareLevels, formatLevelVersion, levelLabel, MODES, policyFromLabels, uniformPolicy, type LabelProblem, type LevelVersion, type Policy } from '../../../protocol/pod-security.js';
import { existingPodWarnings } from './namespace-pods.js';

/** Who asks. */
export interface Requester {
  /** An API token id, or a hub component ("system:replicaset-controller"). */
  name: string;
  /** An admin token: the default exemption, and the only requester who may weaken a namespace's labels. */
  admin: boolean;
  /**
   * A hub component acting on a workload's behalf (a controller creating the template's pods): never
   * exempt; Drover's toleration rule was checked when the template was written.
   */
  component?: boolean;
}

export interface PodSecurityExemptions {
  /** Admin tokens are exempt (default true): the hub's own admin and `drover up`'s local agent pods keep working. */
  adminTokens?: boolean;
  /** API token ids that are exempt (Kubernetes' exemptions.usernames). */
  tokens?: readonly string[];
  /** Namespaces that are exempt (Kubernetes' exemptions.namespaces). */
  namespaces?: readonly string[];
}

export interface PodSecurityOptions {
  cache: ObjectCache;
  /** The policy of a namespace without labels (Kubernetes' `defaults`; default baseline for every mode). */
  defaults?: Policy;
  /** Namespaces whose default is privileged, unless their labels say otherwise (default kube-system). */
  privilegedNamespaces?: readonly string[];
  exemptions?: PodSecurityExemptions;
}

/** What admission decided about one write. */
export interface AdmissionDecision {
  allowed: boolean;
  /** Why not (`violates PodSecurity "baseline:latest": ...`), when not allowed. */
  violation?: string;
  /** Warning headers for the client (`would violate PodSecurity "restricted:latest": ...`). */
  warnings: string[];
  /** Audit annotations (pod-security.kubernetes.io/enforce-policy, audit-violations, exempt). */
  annotations: Record<string, string>;
}

export interface PodAdmissionRequest {
  requester: Requester;
  namespace: string;
  pod: Pod;
  /** The stored pod, for an update. */
  old?: Pod;
}

export interface TemplateAdmissionRequest {
  requester: Requester;
  namespace: string;
  template: PodTemplateSpec;
}

export interface NamespaceAdmissionRequest {
  requester: Requester;
  namespace: Namespace;
  old?: Namespace;
}

export interface PodSecurityAdmission {
  /** The namespace's policy (its labels over the defaults) and what in its labels could not be read. */
  policyFor(namespace: string): { policy: Policy; problems: LabelProblem[] };
  admitPod(req: PodAdmissionRequest): AdmissionDecision;
  admitTemplate(req: TemplateAdmissionRequest): AdmissionDecision;
  /** Throws AdmissionInvalidError for unreadable labels; the decision refuses a weakening by a non-admin. */
  admitNamespace(req: NamespaceAdmissionRequest): AdmissionDecision;
}

export const DEFAULT_POD_SECURITY_POLICY: Policy = uniformPolicy('baseline');
export const COMPONENT_REQUESTER_PREFIX = 'system:';

const allowed = (annotations: Record<string, string> = {}, warnings: string[] = []): AdmissionDecision => ({ allowed: true, warnings, annotations });

/** Kubernetes evaluates an update only when it could change what runs: here, any change of the spec. */
function significantUpdate(pod: Pod, old: Pod | undefined): boolean {
  return old === undefined || !isDeepStrictEqual(pod.spec, old.spec);
}

export function createPodSecurityAdmission(opts: PodSecurityOptions): PodSecurityAdmission {
  const defaults = opts.defaults ?? DEFAULT_POD_SECURITY_POLICY;
  const privilegedNamespaces = opts.privilegedNamespaces ?? [SYSTEM_NAMESPACE];
  const exemptAdmin = opts.exemptions?.adminTokens ?? true;
  const exemptTokens = new Set(opts.exemptions?.tokens ?? []);
  const exemptNamespaces = new Set(opts.exemptions?.namespaces ?? []);
  const namespaces = opts.cache.kind<Namespace>('Namespace');
  const pods = opts.cache.kind<Pod>('Pod');

  const defaultsFor = (namespace: string): Policy => (privilegedNamespaces.includes(namespace) ? uniformPolicy('privileged') : defaults);
  const policyOf = (namespace: string, labels: Readonly<Record<string, string>> | undefined) => policyFromLabels(labels, defaultsFor(namespace));
  const policyFor = (namespace: string) => policyOf(namespace, namespaces.get('', namespace)?.metadata.labels);

  function exemption(requester: Requester, namespace: string): string | undefined {
    if (exemptNamespaces.has(namespace)) return 'namespace';
    if (requester.component) return undefined;
    if ((requester.admin && exemptAdmin) || exemptTokens.has(requester.name)) return 'user';
    return undefined;
  }

  function parseErrorAnnotation(problems: LabelProblem[]): Record<string, string> {
    if (problems.length === 0) return {};
    return { error: `Failed to parse policy: ${problems.map((p) => `${p.field}: Invalid value: ${JSON.stringify(p.value)}: ${p.message}`).join(', ')}` };
  }

  /** Kubernetes' EvaluatePod: enforce (when `enforce`), audit, then warn unless refused. */
  function evaluate(policy: Policy, spec: PodSpec, enforce: boolean, annotations: Record<string, string>): AdmissionDecision {
    const results = new Map<string, ReturnType<typeof evaluatePod>>();
    const verdict = (lv: LevelVersion) => {
      const key = lv.level; // one set of checks: every version evaluates as latest
      let v = results.get(key);
      if (!v) results.set(key, (v = evaluatePod(lv.level, spec)));
      return v;
    };
    let violation: string | undefined;
    if (enforce) {
      annotations[ANNOTATION_POD_SECURITY_ENFORCE_POLICY] = formatLevelVersion(policy.enforce);
      const v = verdict(policy.enforce);
      if (!v.allowed) violation = `violates PodSecurity "${formatLevelVersion(policy.enforce)}": ${forbiddenDetail(v)}`;
    }
    const audit = verdict(policy.audit);
    if (!audit.allowed) annotations[ANNOTATION_POD_SECURITY_AUDIT_VIOLATIONS] = `would violate PodSecurity "${formatLevelVersion(policy.audit)}": ${forbiddenDetail(audit)}`;
    const warnings: string[] = [];
    if (violation === undefined) {
      const warn = verdict(policy.warn);
      if (!warn.allowed) warnings.push(`would violate PodSecurity "${formatLevelVersion(policy.warn)}": ${forbiddenDetail(warn)}`);
    }
    return violation === undefined ? { allowed: true, warnings, annotations } : { allowed: false, violation, warnings, annotations };
  }

  function tolerationRule(requester: Requester, policy: Policy, spec: PodSpec, fieldPrefix: string): string | undefined {
    if (requester.component || policy.enforce.level === 'privileged') return undefined;
    return tolerateEveryTaintProblem(spec, fieldPrefix);
  }

  function admitSpec(requester: Requester, namespace: string, spec: PodSpec, enforce: boolean, fieldPrefix: string): AdmissionDecision {
    const exempt = exemption(requester, namespace);
    if (exempt) return allowed({ [ANNOTATION_POD_SECURITY_EXEMPT]: exempt });
    const { policy, problems } = policyFor(namespace);
    const annotations = parseErrorAnnotation(problems);
    const tolerations = tolerationRule(requester, policy, spec, fieldPrefix);
    const decision = evaluate(policy, spec, enforce, annotations);
    if (tolerations === undefined || !decision.allowed) return decision;
    return { ...decision, allowed: false, violation: tolerations, warnings: [] };
  }

  return {
    policyFor,
    admitPod({ requester, namespace, pod, old }) {
      if (!significantUpdate(pod, old)) return allowed();
      return admitSpec(requester, namespace, pod.spec, true, 'spec.');
    },
    admitTemplate({ requester, namespace, template }) {
      return admitSpec(requester, namespace, template.spec, false, 'spec.template.spec.');
    },
    admitNamespace({ requester, namespace, old }) {
      const name = namespace.metadata.name;
      const next = policyOf(name, namespace.metadata.labels);
      const before = old ? policyOf(name, old.metadata.labels) : undefined;
      if (next.problems.length > 0 && (before === undefined || !isDeepStrictEqual(next.problems, before.problems))) {
        throw new AdmissionInvalidError('Namespace', name, next.problems);
      }
      if (!requester.admin) {
        const weaker = MODES.find(
          (mode) =>
            compareLevels(next.policy[mode].level, defaultsFor(name)[mode].level) < 0 &&
            (before === undefined || before.policy[mode].level !== next.policy[mode].level),
        );
        if (weaker) {
          return {
            allowed: false,
            violation: `only an admin token may set ${levelLabel(weaker)} to "${next.policy[weaker].level}", a level weaker than the default "${defaultsFor(name)[weaker].level}"`,
            warnings: [],
            annotations: {},
          };
        }
      }
      if (before === undefined || !stricterEnforce(next.policy.enforce, before.policy.enforce) || exemptNamespaces.has(name)) return allowed();
      return allowed({}, existingPodWarnings(name, pods.list({ namespace: name }), next.policy.enforce));
    },
  };
}

/** Kubernetes dry-runs the namespace's pods unless the enforce level is unchanged, privileged, or relaxed at the same version. */
function stricterEnforce(next: LevelVersion, before: LevelVersion): boolean {
  if (next.level === before.level && next.version === before.version) return false;
  if (next.level === 'privileged') return false;
  return !(next.version === before.version && compareLevels(next.level, before.level) < 1);
}


/**
 * A hub component creating a pod (a controller, from a workload's template) goes through the same
 * admission, never exempt, as Kubernetes' controllers create pods through the API server. Throws
 * AdmissionForbiddenError (`pods "web-" is forbidden: violates PodSecurity ...`).
 */
export function admitComponentPod(admission: PodSecurityAdmission, component: string, pod: Pod): void {
  const namespace = pod.metadata.namespace ?? 'default';
  const decision = admission.admitPod({ requester: { name: `${COMPONENT_REQUESTER_PREFIX}${component}`, admin: false, component: true }, namespace, pod });
  if (!decision.allowed) {
    throw new AdmissionForbiddenError('pods', pod.metadata.name || (pod.metadata.generateName ?? ''), decision.violation ?? 'refused by admission');
  }
}

/**
 * Which checks run at which level, in Kubernetes' order (policy/registry.go): at baseline the baseline
 * checks; at restricted the baseline checks a restricted check does not replace, then the restricted
 * ones; each group sorted by check id. Privileged runs none.
 */
import { aggregate, type Check, type Verdict } from './check.js';
import type { Level } from '../../../protocol/pod-security.js';
import type { PodSpec } from '../../../protocol/objects/pod.js';
import { hostNamespaces } from './checks/host-namespaces.js';
import { hostPathVolumes } from './checks/host-path-volumes.js';
import { hostPorts } from './checks/host-ports.js';
import { hostProbes } from './checks/host-probes.js';
import { restrictedVolumes } from './checks/restricted-volumes.js';
import {
  allowPrivilegeEscalation,
  capabilitiesBaseline,
  capabilitiesRestricted,
  privileged,
  runAsNonRoot,
  runAsUser,
  seccompProfileBaseline,
  seccompProfileRestricted,
} from './checks/security-context.js';

/** Every check Drover runs: the Kubernetes checks whose fields Drover's pod spec has (README.md lists the rest). */
export const CHECKS: readonly Check[] = [
  hostNamespaces,
  hostPathVolumes,
  hostPorts,
  hostProbes,
  restrictedVolumes,
  privileged,
  capabilitiesBaseline,
  seccompProfileBaseline,
  allowPrivilegeEscalation,
  capabilitiesRestricted,
  runAsNonRoot,
  runAsUser,
  seccompProfileRestricted,
];

const byId = (a: Check, b: Check): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function checksFor(level: Level): Check[] {
  if (level === 'privileged') return [];
  const baseline = CHECKS.filter((c) => c.level === 'baseline').sort(byId);
  if (level === 'baseline') return baseline;
  const restricted = CHECKS.filter((c) => c.level === 'restricted').sort(byId);
  const overridden = new Set(restricted.flatMap((c) => c.overrides ?? []));
  return [...baseline.filter((c) => !overridden.has(c.id)), ...restricted];
}

const ORDERED: Record<Level, Check[]> = { privileged: checksFor('privileged'), baseline: checksFor('baseline'), restricted: checksFor('restricted') };

/** Evaluate a pod spec at `level` (every version is evaluated as latest). */
export function evaluatePod(level: Level, spec: PodSpec): Verdict {
  return aggregate(ORDERED[level].map((c) => c.check(spec)));
}

/**
 * Restricted: the four checks that need a container securityContext (allowPrivilegeEscalation=false,
 * capabilities.drop=["ALL"], runAsNonRoot=true, a RuntimeDefault or Localhost seccomp profile).
 * Drover's pod spec has no securityContext yet (the schema refuses the field and the agent sets none
 * of these), so every container fails all four, worded as Kubernetes words an unset field: the
 * restricted level cannot be met until the pod spec and the agent support them.
 */
import { containersOf, forbidden, joinQuote, pluralize, type Check } from '../check.js';
import type { PodSpec } from '../../../../protocol/objects/pod.js';

function containers(spec: PodSpec): string {
  const names = containersOf(spec).map((c) => c.name);
  return `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
}

export const allowPrivilegeEscalation: Check = {
  id: 'allowPrivilegeEscalation',
  level: 'restricted',
  check: (spec) => forbidden('allowPrivilegeEscalation != false', `${containers(spec)} must set securityContext.allowPrivilegeEscalation=false`),
};

export const capabilitiesRestricted: Check = {
  id: 'capabilities_restricted',
  level: 'restricted',
  check: (spec) => forbidden('unrestricted capabilities', `${containers(spec)} must set securityContext.capabilities.drop=["ALL"]`),
};

export const runAsNonRoot: Check = {
  id: 'runAsNonRoot',
  level: 'restricted',
  check: (spec) => forbidden('runAsNonRoot != true', `pod or ${containers(spec)} must set securityContext.runAsNonRoot=true`),
};

export const seccompProfileRestricted: Check = {
  id: 'seccompProfile_restricted',
  level: 'restricted',
  check: (spec) =>
    forbidden('seccompProfile', `pod or ${containers(spec)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`),
};

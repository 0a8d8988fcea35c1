/**
 * The securityContext checks, as Kubernetes' pod-security-admission words them (policy/check_*.go):
 * baseline `privileged`, `capabilities_baseline`, `seccompProfile_baseline`; restricted
 * `allowPrivilegeEscalation`, `capabilities_restricted` (replaces capabilities_baseline), `runAsNonRoot`,
 * `runAsUser`, `seccompProfile_restricted` (replaces seccompProfile_baseline). Drover has no user namespaces
 * (hostUsers), so runAsNonRoot is never relaxed, and no seccomp annotations, so only the field is checked.
 */
import { ALLOWED, containersOf, forbidden, joinQuote, pluralize, sortedSet, type Check } from '../check.js';
import type { SeccompProfileSpec } from '../../../../protocol/objects/pod.js';

/** `container "a"` / `containers "a", "b"` */
function named(names: readonly string[]): string {
  return `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
}

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

const validSeccomp = (p: SeccompProfileSpec): boolean => p.type === 'Localhost' || p.type === 'RuntimeDefault';

export const privileged: Check = {
  id: 'privileged',
  level: 'baseline',
  check(spec) {
    const bad = containersOf(spec).filter((c) => c.securityContext?.privileged === true).map((c) => c.name);
    return bad.length ? forbidden('privileged', `${named(bad)} must not set securityContext.privileged=true`) : ALLOWED;
  },
};

export const capabilitiesBaseline: Check = {
  id: 'capabilities_baseline',
  level: 'baseline',
  check(spec) {
    const bad: string[] = [];
    const caps: string[] = [];
    for (const c of containersOf(spec)) {
      const extra = (c.securityContext?.capabilities?.add ?? []).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
      if (extra.length === 0) continue;
      bad.push(c.name);
      caps.push(...extra);
    }
    return bad.length
      ? forbidden('non-default capabilities', `${named(bad)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`)
      : ALLOWED;
  },
};

/** Who set seccompProfile.type to a value outside RuntimeDefault/Localhost: `pod and containers "a"`, and the values. */
function badSeccompSetters(spec: Parameters<Check['check']>[0]): { setters: string[]; values: string[]; podSet: boolean } {
  const setters: string[] = [];
  const values: string[] = [];
  const pod = spec.securityContext?.seccompProfile;
  if (pod && !validSeccomp(pod)) {
    setters.push('pod');
    values.push(pod.type);
  }
  const bad: string[] = [];
  for (const c of containersOf(spec)) {
    const p = c.securityContext?.seccompProfile;
    if (p && !validSeccomp(p)) {
      bad.push(c.name);
      values.push(p.type);
    }
  }
  if (bad.length) setters.push(named(bad));
  return { setters, values: sortedSet(values), podSet: pod !== undefined && validSeccomp(pod) };
}

export const seccompProfileBaseline: Check = {
  id: 'seccompProfile_baseline',
  level: 'baseline',
  check(spec) {
    const { setters, values } = badSeccompSetters(spec);
    return setters.length
      ? forbidden('seccompProfile', `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(values)}`)
      : ALLOWED;
  },
};

export const allowPrivilegeEscalation: Check = {
  id: 'allowPrivilegeEscalation',
  level: 'restricted',
  check(spec) {
    const bad = containersOf(spec).filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name);
    return bad.length ? forbidden('allowPrivilegeEscalation != false', `${named(bad)} must set securityContext.allowPrivilegeEscalation=false`) : ALLOWED;
  },
};

export const capabilitiesRestricted: Check = {
  id: 'capabilities_restricted',
  level: 'restricted',
  overrides: ['capabilities_baseline'],
  check(spec) {
    const missingDropAll: string[] = [];
    const adding: string[] = [];
    const caps: string[] = [];
    for (const c of containersOf(spec)) {
      const sc = c.securityContext?.capabilities;
      if (!sc) {
        missingDropAll.push(c.name);
        continue;
      }
      if (!(sc.drop ?? []).includes('ALL')) missingDropAll.push(c.name);
      const extra = (sc.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
      if (extra.length) {
        adding.push(c.name);
        caps.push(...extra);
      }
    }
    const details: string[] = [];
    if (missingDropAll.length) details.push(`${named(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
    if (adding.length) details.push(`${named(adding)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`);
    return details.length ? forbidden('unrestricted capabilities', details.join('; ')) : ALLOWED;
  },
};

export const runAsNonRoot: Check = {
  id: 'runAsNonRoot',
  level: 'restricted',
  check(spec) {
    const setters: string[] = [];
    const pod = spec.securityContext?.runAsNonRoot;
    if (pod === false) setters.push('pod');
    const explicitlyBad: string[] = [];
    const implicitlyBad: string[] = [];
    for (const c of containersOf(spec)) {
      const v = c.securityContext?.runAsNonRoot;
      if (v === false) explicitlyBad.push(c.name);
      else if (v === undefined && pod !== true) implicitlyBad.push(c.name);
    }
    if (explicitlyBad.length) setters.push(named(explicitlyBad));
    if (setters.length) return forbidden('runAsNonRoot != true', `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`);
    if (implicitlyBad.length) return forbidden('runAsNonRoot != true', `pod or ${named(implicitlyBad)} must set securityContext.runAsNonRoot=true`);
    return ALLOWED;
  },
};

export const runAsUser: Check = {
  id: 'runAsUser',
  level: 'restricted',
  check(spec) {
    const setters: string[] = [];
    if (spec.securityContext?.runAsUser === 0) setters.push('pod');
    const bad = containersOf(spec).filter((c) => c.securityContext?.runAsUser === 0).map((c) => c.name);
    if (bad.length) setters.push(named(bad));
    return setters.length ? forbidden('runAsUser=0', `${setters.join(' and ')} must not set runAsUser=0`) : ALLOWED;
  },
};

export const seccompProfileRestricted: Check = {
  id: 'seccompProfile_restricted',
  level: 'restricted',
  overrides: ['seccompProfile_baseline'],
  check(spec) {
    const { setters, values, podSet } = badSeccompSetters(spec);
    if (setters.length) {
      return forbidden('seccompProfile', `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(values)}`);
    }
    const implicitlyBad = containersOf(spec).filter((c) => !c.securityContext?.seccompProfile && !podSet).map((c) => c.name);
    return implicitlyBad.length
      ? forbidden('seccompProfile', `pod or ${named(implicitlyBad)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`)
      : ALLOWED;
  },
};

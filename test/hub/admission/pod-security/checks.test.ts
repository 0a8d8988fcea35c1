/**
 * Each check's wording against Kubernetes' own (pod-security-admission policy/check_*.go and their
 * tests), and the order of an evaluation (baseline ids sorted, then restricted ids, hostPath replaced
 * by restricted volume types at restricted).
 */
import { describe, expect, it } from 'vitest';
import type { PodSpec } from '../../../../protocol/objects/pod.js';
import { forbiddenDetail } from '../../../../hub/admission/pod-security/check.js';
import { CHECKS, evaluatePod } from '../../../../hub/admission/pod-security/evaluator.js';

const IMAGE = 'drover.local/busybox:test';
const spec = (extra: Partial<PodSpec> = {}, containers: PodSpec['containers'] = [{ name: 'c', image: IMAGE }]): PodSpec => ({ containers, ...extra });
const check = (id: string) => CHECKS.find((c) => c.id === id)!;

describe('Pod Security checks, worded as Kubernetes words them', () => {
  it('host namespaces', () => {
    expect(check('hostNamespaces').check(spec({ hostNetwork: true }))).toEqual({ allowed: false, reason: 'host namespaces', detail: 'hostNetwork=true' });
    expect(check('hostNamespaces').check(spec({ hostNetwork: false })).allowed).toBe(true);
  });

  it('hostPath volumes: a mounted runtime socket is one', () => {
    const volumes = [
      { name: 'root', hostPath: { path: '/' } },
      { name: 'cfg', configMap: { name: 'x' } },
      { name: 'sock', hostPath: { path: '/run/containerd/containerd.sock', type: 'Socket' as const } },
    ];
    expect(check('hostPathVolumes').check(spec({ volumes }))).toEqual({ allowed: false, reason: 'hostPath volumes', detail: 'volumes "root", "sock"' });
    expect(check('hostPathVolumes').check(spec({ volumes: [volumes[0]!] }))).toMatchObject({ detail: 'volume "root"' });
  });

  it('host ports: containers and the sorted set of ports', () => {
    const containers = [
      { name: 'a', image: IMAGE, ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }] },
      { name: 'b', image: IMAGE, ports: [{ containerPort: 9090, hostPort: 9090 }, { containerPort: 80, hostPort: 8080 }] },
      { name: 'c', image: IMAGE },
    ];
    expect(check('hostPorts').check(spec({}, containers))).toEqual({ allowed: false, reason: 'hostPort', detail: 'containers "a", "b" use hostPorts 8080, 9090' });
    expect(check('hostPorts').check(spec({}, [containers[0]!]))).toMatchObject({ detail: 'container "a" uses hostPort 8080' });
  });

  it('probe hosts (Kubernetes 1.34+)', () => {
    const containers = [{ name: 'c', image: IMAGE, livenessProbe: { httpGet: { port: 80, host: '169.254.169.254' } }, readinessProbe: { tcpSocket: { port: 22, host: '127.0.0.1' } } }];
    expect(check('hostProbesAndHostLifecycle').check(spec({}, containers))).toEqual({
      allowed: false,
      reason: 'probe or lifecycle host',
      detail: 'container "c" uses probe or lifecycle hosts "127.0.0.1", "169.254.169.254"',
    });
  });

  it('restricted volume types: only configMap, emptyDir and secret of Drover\'s types', () => {
    const volumes = [{ name: 'a', emptyDir: {} }, { name: 'b', hostPath: { path: '/etc' } }, { name: 'c' }, { name: 'd', secret: { secretName: 's' } }];
    expect(check('restrictedVolumes').check(spec({ volumes }))).toEqual({
      allowed: false,
      reason: 'restricted volume types',
      detail: 'volumes "b", "c" use restricted volume types "hostPath", "unknown"',
    });
  });

  it('a pod at restricted: every securityContext check fails when no securityContext is set, after the baseline ones, in id order', () => {
    const pod = spec({ hostNetwork: true, volumes: [{ name: 'root', hostPath: { path: '/' } }] }, [
      { name: 'a', image: IMAGE },
      { name: 'b', image: IMAGE },
    ]);
    expect(forbiddenDetail(evaluatePod('restricted', pod))).toBe(
      'host namespaces (hostNetwork=true), allowPrivilegeEscalation != false (containers "a", "b" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (containers "a", "b" must set securityContext.capabilities.drop=["ALL"]), ' +
        'restricted volume types (volume "root" uses restricted volume type "hostPath"), ' +
        'runAsNonRoot != true (pod or containers "a", "b" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('a pod at baseline and privileged', () => {
    const pod = spec({ hostNetwork: true, volumes: [{ name: 'root', hostPath: { path: '/' } }] });
    expect(forbiddenDetail(evaluatePod('baseline', pod))).toBe('host namespaces (hostNetwork=true), hostPath volumes (volume "root")');
    expect(evaluatePod('baseline', spec()).allowed).toBe(true);
    expect(evaluatePod('privileged', pod)).toEqual({ allowed: true, reasons: [], details: [] });
  });

  const RESTRICTED = {
    runAsNonRoot: true,
    runAsUser: 1000,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
    seccompProfile: { type: 'RuntimeDefault' as const },
  };
  const withSc = (sc: object, name = 'c') => ({ name, image: IMAGE, securityContext: sc });

  it('a restricted-compliant pod passes every level; so does one setting runAsNonRoot and seccomp at pod level', () => {
    expect(evaluatePod('restricted', spec({}, [withSc(RESTRICTED)]))).toEqual({ allowed: true, reasons: [], details: [] });
    const podLevel = spec({ securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } } }, [
      withSc({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }),
    ]);
    expect(evaluatePod('restricted', podLevel).allowed).toBe(true);
  });

  it('privileged (baseline)', () => {
    expect(check('privileged').check(spec({}, [withSc({ privileged: true }, 'a'), withSc({ privileged: false }, 'b')]))).toEqual({
      allowed: false,
      reason: 'privileged',
      detail: 'container "a" must not set securityContext.privileged=true',
    });
    expect(check('privileged').check(spec({}, [withSc({ privileged: false })])).allowed).toBe(true);
  });

  it('non-default capabilities (baseline): only the default set may be added', () => {
    const pod = spec({}, [withSc({ capabilities: { add: ['SYS_ADMIN', 'CHOWN', 'NET_ADMIN'] } }, 'a'), withSc({ capabilities: { add: ['SYS_ADMIN'] } }, 'b')]);
    expect(check('capabilities_baseline').check(pod)).toEqual({
      allowed: false,
      reason: 'non-default capabilities',
      detail: 'containers "a", "b" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add',
    });
    expect(check('capabilities_baseline').check(spec({}, [withSc({ capabilities: { add: ['NET_BIND_SERVICE', 'KILL'] } })])).allowed).toBe(true);
    expect(forbiddenDetail(evaluatePod('baseline', pod))).toMatch(/^non-default capabilities/);
  });

  it('seccompProfile (baseline): an explicit Unconfined is forbidden, unset is not', () => {
    const pod = spec({ securityContext: { seccompProfile: { type: 'Unconfined' } } }, [withSc({ seccompProfile: { type: 'Unconfined' } }, 'a')]);
    expect(check('seccompProfile_baseline').check(pod)).toEqual({
      allowed: false,
      reason: 'seccompProfile',
      detail: 'pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined"',
    });
    expect(check('seccompProfile_baseline').check(spec()).allowed).toBe(true);
  });

  it('allowPrivilegeEscalation != false (restricted): unset and true fail, false passes', () => {
    const pod = spec({}, [withSc({ allowPrivilegeEscalation: true }, 'a'), { name: 'b', image: IMAGE }, withSc({ allowPrivilegeEscalation: false }, 'ok')]);
    expect(check('allowPrivilegeEscalation').check(pod)).toEqual({
      allowed: false,
      reason: 'allowPrivilegeEscalation != false',
      detail: 'containers "a", "b" must set securityContext.allowPrivilegeEscalation=false',
    });
    expect(check('allowPrivilegeEscalation').check(spec({}, [withSc({ allowPrivilegeEscalation: false })])).allowed).toBe(true);
  });

  it('unrestricted capabilities (restricted): drop ALL, add at most NET_BIND_SERVICE; it replaces the baseline check', () => {
    const pod = spec({}, [withSc({ capabilities: { drop: ['NET_RAW'] } }, 'a'), withSc({ capabilities: { drop: ['ALL'], add: ['SYS_ADMIN', 'NET_BIND_SERVICE'] } }, 'b')]);
    expect(check('capabilities_restricted').check(pod)).toEqual({
      allowed: false,
      reason: 'unrestricted capabilities',
      detail: 'container "a" must set securityContext.capabilities.drop=["ALL"]; container "b" must not include "SYS_ADMIN" in securityContext.capabilities.add',
    });
    expect(check('capabilities_restricted').check(spec({}, [withSc({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } })])).allowed).toBe(true);
    expect(evaluatePod('restricted', spec({}, [withSc({ ...RESTRICTED, capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } })])).reasons).toEqual(['unrestricted capabilities']);
  });

  it('runAsNonRoot != true (restricted): explicit false is named, unset needs the pod or the container to say true', () => {
    expect(check('runAsNonRoot').check(spec({ securityContext: { runAsNonRoot: false } }, [withSc({ runAsNonRoot: false }, 'a')]))).toEqual({
      allowed: false,
      reason: 'runAsNonRoot != true',
      detail: 'pod and container "a" must not set securityContext.runAsNonRoot=false',
    });
    expect(check('runAsNonRoot').check(spec({}, [withSc({ runAsNonRoot: true }, 'a'), { name: 'b', image: IMAGE }]))).toMatchObject({
      detail: 'pod or container "b" must set securityContext.runAsNonRoot=true',
    });
    expect(check('runAsNonRoot').check(spec({ securityContext: { runAsNonRoot: true } })).allowed).toBe(true);
  });

  it('runAsUser=0 (restricted): pod or container setting uid 0 fails, any other uid passes', () => {
    expect(check('runAsUser').check(spec({ securityContext: { runAsUser: 0 } }, [withSc({ runAsUser: 0 }, 'a'), withSc({ runAsUser: 0 }, 'b')]))).toEqual({
      allowed: false,
      reason: 'runAsUser=0',
      detail: 'pod and containers "a", "b" must not set runAsUser=0',
    });
    expect(check('runAsUser').check(spec({ securityContext: { runAsUser: 1000 } }, [withSc({ runAsUser: 1 })])).allowed).toBe(true);
    expect(check('runAsUser').check(spec()).allowed).toBe(true);
  });

  it('seccompProfile (restricted): RuntimeDefault or Localhost from the pod or each container; it replaces the baseline check', () => {
    expect(check('seccompProfile_restricted').check(spec({}, [withSc({ seccompProfile: { type: 'Unconfined' } }, 'a')]))).toEqual({
      allowed: false,
      reason: 'seccompProfile',
      detail: 'container "a" must not set securityContext.seccompProfile.type to "Unconfined"',
    });
    expect(check('seccompProfile_restricted').check(spec({}, [withSc({ seccompProfile: { type: 'RuntimeDefault' } }, 'a'), { name: 'b', image: IMAGE }]))).toMatchObject({
      detail: 'pod or container "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
    });
    expect(check('seccompProfile_restricted').check(spec({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } })).allowed).toBe(true);
    const unconfined = evaluatePod('restricted', spec({}, [withSc({ ...RESTRICTED, seccompProfile: { type: 'Unconfined' } })]));
    expect(unconfined.reasons).toEqual(['seccompProfile']);
  });
});

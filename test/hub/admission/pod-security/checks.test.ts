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

  it('a pod at restricted: every securityContext check fails (Drover has no securityContext), after the baseline ones, in id order', () => {
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
});

/** spec.dnsPolicy and spec.dnsConfig are accepted as Kubernetes validates them. */
import { describe, expect, it } from 'vitest';
import { podSchema } from '../../protocol/objects/pod.js';

const pod = (spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

describe('pod DNS fields', () => {
  it('accepts every dnsPolicy and a dnsConfig', () => {
    for (const dnsPolicy of ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default']) expect(podSchema.safeParse(pod({ dnsPolicy })).success).toBe(true);
    const ok = podSchema.safeParse(
      pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1', 'fd00::53'], searches: ['ns1.svc.cluster.local', 'example.com'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }),
    );
    expect(ok.success).toBe(true);
  });

  it('refuses None without a nameserver, bad addresses, too many nameservers, unknown fields', () => {
    const issues = (spec: Record<string, unknown>) => {
      const r = podSchema.safeParse(pod(spec));
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ dnsPolicy: 'None' }).join()).toMatch(/spec\.dnsConfig\.nameservers: dnsPolicy None needs dnsConfig with at least one nameserver/);
    expect(issues({ dnsConfig: { nameservers: ['not-an-ip'] } }).join()).toMatch(/must be an IP address/);
    expect(issues({ dnsConfig: { nameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'] } }).join()).toMatch(/at most 3 nameservers/);
    expect(issues({ dnsConfig: { searches: ['bad domain'] } }).join()).toMatch(/must be a DNS domain/);
    expect(issues({ dnsConfig: { resolver: 'x' } }).length).toBeGreaterThan(0);
    expect(issues({ dnsPolicy: 'Cluster' }).length).toBeGreaterThan(0);
  });
});

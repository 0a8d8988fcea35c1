/** ContainerSpec.network: how each adapter joins a pod's network, and what each refuses. */
import { describe, expect, it } from 'vitest';
import { ownLabels, netnsOf } from '../../runtime-adapters/containerd/container-labels.js';
import { ctrCreateArgs } from '../../runtime-adapters/containerd/create-args.js';
import { dockerCreateArgs } from '../../runtime-adapters/docker/create-args.js';
import { createFakeRuntime } from '../../runtime-adapters/fake/fake.js';
import type { ContainerSpec } from '../../runtime-adapters/runtime.js';
import { checkNetworkMode, checkSpec } from '../../runtime-adapters/spec-checks.js';

const base: ContainerSpec = { name: 'web', image: 'drover.local/busybox:test', env: {}, ports: [], mounts: [], labels: {}, hostNetwork: false };

describe('ContainerSpec.network', () => {
  it('containerd joins a netns file instead of the host network, and remembers it (no port forwarders there)', () => {
    const spec: ContainerSpec = { ...base, network: { mode: 'netns', path: '/run/netns/drover-abc' }, ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }] };
    const args = ctrCreateArgs(spec, 'drover.local/busybox:test', undefined);
    expect(args).toContain('--with-ns=network:/run/netns/drover-abc');
    expect(args).not.toContain('--net-host=true');
    expect(netnsOf(ownLabels(spec))).toBe('/run/netns/drover-abc');
    expect(ctrCreateArgs(base, 'drover.local/busybox:test', undefined)).toContain('--net-host=true');
    expect(args.some((a) => a.startsWith('--with-ns=uts:'))).toBe(false);
  });

  it("containerd joins the pod's UTS namespace (its hostname) when the pod network names one", () => {
    const spec: ContainerSpec = { ...base, network: { mode: 'netns', path: '/run/netns/drover-abc', uts: '/run/drover/uts/drover-abc' } };
    const args = ctrCreateArgs(spec, 'drover.local/busybox:test', undefined);
    expect(args).toContain('--with-ns=network:/run/netns/drover-abc');
    expect(args).toContain('--with-ns=uts:/run/drover/uts/drover-abc');
    expect(() => checkSpec('containerd', { ...base, network: { mode: 'netns', path: '/run/netns/x', uts: 'relative' } })).toThrow(/UTS namespace path must be absolute/);
  });

  it("docker joins the sandbox's network and publishes nothing itself (the sandbox does)", () => {
    const args = dockerCreateArgs({ ...base, network: { mode: 'container', container: 'drover-sandbox_default_web_1234' }, ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }] });
    expect(args.join(' ')).toContain('--network container:drover-sandbox_default_web_1234');
    expect(args).not.toContain('--publish');
  });

  it('each adapter refuses the mode it cannot join; host network and a pod network together are refused', () => {
    expect(() => checkNetworkMode('docker', { ...base, network: { mode: 'netns', path: '/run/netns/x' } }, ['container'])).toThrow(/cannot join a network of mode netns/);
    expect(() => checkNetworkMode('containerd', { ...base, network: { mode: 'container', container: 'x' } }, ['netns'])).toThrow(/mode container/);
    expect(() => checkSpec('fake', { ...base, hostNetwork: true, network: { mode: 'netns', path: '/run/netns/x' } })).toThrow(/host-network container cannot join/);
    expect(() => checkSpec('fake', { ...base, network: { mode: 'netns', path: 'relative' } })).toThrow(/must be absolute/);
  });

  it('the fake runtime accepts both modes', async () => {
    const fake = createFakeRuntime();
    await fake.create({ ...base, name: 'a', network: { mode: 'netns', path: '/run/netns/x' } });
    await fake.create({ ...base, name: 'b', network: { mode: 'container', container: 'sandbox' } });
    expect((await fake.list()).map((c) => c.name).sort()).toEqual(['a', 'b']);
    await fake.close();
  });
});

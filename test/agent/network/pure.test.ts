/** The pod network's pure parts: CIDRs, the CNI configuration, resolv.conf by dnsPolicy, the overlay plan and its diff. */
import { describe, expect, it } from 'vitest';
import { cidrContains, nthAddress, parseCidr, parseIpv4 } from '../../../agent/network/cidr.js';
import { cniPortMappings, loopbackPlugins, pluginStdin, podNetworkPlugins, resultIPs } from '../../../agent/network/cni-config.js';
import { dockerNetworkArgs, sandboxName, sandboxRunArgs } from '../../../agent/network/docker-sandboxes.js';
import { hostPortsOf } from '../../../agent/network/node-network.js';
import { masqueradeScript } from '../../../agent/network/node-setup.js';
import { overlayChanges, overlayPlan, parseOverlayState, vtepMacFor } from '../../../agent/network/overlay-plan.js';
import { parseResolvConf, podDnsSettings, renderResolvConf } from '../../../agent/network/resolv-conf.js';
import { makePod } from '../helpers.js';

describe('cidr', () => {
  it('parses, normalises and walks IPv4 CIDRs', () => {
    expect(parseIpv4('10.42.1.7')).toBe(0x0a2a0107);
    expect(parseIpv4('10.42.1')).toBeUndefined();
    expect(parseIpv4('10.42.1.256')).toBeUndefined();
    const c = parseCidr('10.42.1.9/24')!;
    expect(nthAddress(c, 0)).toBe('10.42.1.0');
    expect(nthAddress(c, 1)).toBe('10.42.1.1');
    expect(cidrContains(parseCidr('10.42.0.0/16')!, '10.42.200.3')).toBe(true);
    expect(cidrContains(parseCidr('10.42.0.0/16')!, '10.43.0.1')).toBe(false);
    expect(parseCidr('10.42.0.0/33')).toBeUndefined();
    expect(parseCidr('fd00::/64')).toBeUndefined();
  });
});

describe('CNI configuration', () => {
  const opts = { bridge: 'drover0', podCIDR: '10.42.3.0/24', mtu: 1450, ipamDataDir: '/var/lib/d/network/ipam' };

  it('bridge with host-local on the pod CIDR, gateway .1, no ipMasq, hairpin, the overlay MTU', () => {
    const [bridge, ...rest] = podNetworkPlugins(opts, []);
    expect(rest).toEqual([]);
    expect(bridge).toEqual({
      type: 'bridge',
      bridge: 'drover0',
      isGateway: true,
      ipMasq: false,
      hairpinMode: true,
      mtu: 1450,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: '10.42.3.0/24', gateway: '10.42.3.1' }]],
        routes: [{ dst: '0.0.0.0/0' }],
        dataDir: '/var/lib/d/network/ipam',
      },
    });
  });

  it('portmap for the ports with a hostPort, protocols lowercase', () => {
    const ports = [
      { containerPort: 80, hostPort: 8080, protocol: 'TCP' as const },
      { containerPort: 53, hostPort: 5353, protocol: 'UDP' as const, hostIP: '127.0.0.1' },
      { containerPort: 9000, protocol: 'TCP' as const },
    ];
    const plugins = podNetworkPlugins(opts, ports);
    expect(plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
    expect(plugins[1]).toMatchObject({ capabilities: { portMappings: true }, runtimeConfig: { portMappings: cniPortMappings(ports) } });
    expect(cniPortMappings(ports)).toEqual([
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' },
    ]);
  });

  it('stdin carries the network name, version and the chain result so far; loopback is its own network', () => {
    expect(JSON.parse(pluginStdin({ type: 'portmap' }, { ips: [] }))).toEqual({ cniVersion: '1.0.0', name: 'drover', type: 'portmap', prevResult: { ips: [] } });
    expect(JSON.parse(pluginStdin({ type: 'loopback' }, undefined))).toEqual({ cniVersion: '1.0.0', name: 'drover', type: 'loopback' });
    expect(loopbackPlugins()).toEqual([{ type: 'loopback' }]);
    expect(resultIPs({ ips: [{ address: '10.42.3.5/24', gateway: '10.42.3.1' }] })).toEqual(['10.42.3.5']);
    expect(() => podNetworkPlugins({ ...opts, podCIDR: 'nope' }, [])).toThrow(/not an IPv4 CIDR/);
  });

  it("a pod's host ports come from every container", () => {
    const pod = makePod('p', {
      containers: [
        { name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }] },
        { name: 'b', image: 'x', ports: [{ containerPort: 53, hostPort: 53, protocol: 'UDP' }] },
      ],
    });
    expect(hostPortsOf(pod)).toEqual([
      { containerPort: 80, hostPort: 8080, protocol: 'TCP' },
      { containerPort: 53, hostPort: 53, protocol: 'UDP' },
    ]);
  });
});

describe('Docker sandboxes', () => {
  it('a bridge network on the pod CIDR, named bridge, overlay MTU, no masquerading of its own', () => {
    expect(dockerNetworkArgs('drover', 'drover0', '10.42.4.0/24', 1400)).toEqual([
      'network', 'create', '--driver', 'bridge', '--subnet', '10.42.4.0/24', '--gateway', '10.42.4.1',
      '-o', 'com.docker.network.bridge.name=drover0', '-o', 'com.docker.network.driver.mtu=1400',
      '-o', 'com.docker.network.bridge.enable_ip_masquerade=false', '--label', 'io.drover.network=pods', 'drover',
    ]);
  });

  it('the sandbox publishes the host ports and carries the DNS settings', () => {
    const pod = makePod('web', { uid: 'abcdef12-3456' });
    expect(sandboxName(pod)).toBe('drover-sandbox_default_web_abcdef12');
    const args = sandboxRunArgs({
      name: 'sb',
      network: 'drover',
      image: 'drover.local/pause:1',
      labels: { 'io.drover.sandbox': 'true' },
      ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }],
      dns: { nameservers: ['10.42.4.1'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
    });
    expect(args).toEqual([
      'run', '--detach', '--name', 'sb', '--network', 'drover', '--restart', 'no', '--label', 'io.drover.sandbox=true',
      '--dns', '10.42.4.1', '--dns-search', 'default.svc.cluster.local', '--dns-option', 'ndots:5',
      '--publish', '8080:80/tcp', 'drover.local/pause:1',
    ]);
  });
});

describe('masquerading', () => {
  it('only what leaves the cluster CIDR, in one table replaced whole', () => {
    const script = masqueradeScript('drover_podnet', '10.42.1.0/24', '10.42.0.0/16');
    expect(script).toContain('ip saddr 10.42.1.0/24 ip daddr != 10.42.0.0/16 ip daddr != 224.0.0.0/4 masquerade');
    expect(script.split('\n').slice(0, 3)).toEqual(['table ip drover_podnet', 'delete table ip drover_podnet', 'table ip drover_podnet {']);
  });
});

describe('resolv.conf by dnsPolicy', () => {
  const cluster = { server: '10.42.1.1', domain: 'cluster.local' };
  const node = { nameservers: ['192.0.2.53'], searches: ['lan'], options: ['edns0'] };

  it('ClusterFirst (the default): the node bridge, the namespace search path, ndots:5', () => {
    const pod = makePod('p', { metadata: { namespace: 'shop' } });
    const s = podDnsSettings(pod, cluster, node)!;
    expect(s).toEqual({ nameservers: ['10.42.1.1'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'lan'], options: ['ndots:5'] });
    expect(renderResolvConf(s)).toBe('nameserver 10.42.1.1\nsearch shop.svc.cluster.local svc.cluster.local cluster.local lan\noptions ndots:5\n');
  });

  it('hostNetwork with ClusterFirst falls back to Default (the runtime gives the host file); ClusterFirstWithHostNet gets cluster DNS', () => {
    expect(podDnsSettings(makePod('p', { spec: { hostNetwork: true } }), cluster, node)).toBeUndefined();
    expect(podDnsSettings(makePod('p', { spec: { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } }), cluster, node)?.nameservers).toEqual(['10.42.1.1']);
  });

  it("Default: the node's own settings; ClusterFirst without cluster DNS is Default", () => {
    expect(podDnsSettings(makePod('p', { spec: { dnsPolicy: 'Default' } }), cluster, node)).toEqual(node);
    expect(podDnsSettings(makePod('p'), { server: undefined, domain: 'cluster.local' }, node)).toEqual(node);
  });

  it('None: only dnsConfig; dnsConfig merges over the others (options by name)', () => {
    const none = makePod('p', { spec: { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['x.example'], options: [{ name: 'ndots', value: '2' }] } } });
    expect(podDnsSettings(none, cluster, node)).toEqual({ nameservers: ['1.1.1.1'], searches: ['x.example'], options: ['ndots:2'] });
    const merged = makePod('p', { spec: { dnsConfig: { nameservers: ['1.1.1.1', '10.42.1.1'], options: [{ name: 'ndots', value: '1' }, { name: 'edns0' }] } } });
    expect(podDnsSettings(merged, cluster, node)).toMatchObject({ nameservers: ['10.42.1.1', '1.1.1.1'], options: ['ndots:1', 'edns0'] });
  });

  it('at most 3 nameservers; parses a resolv.conf', () => {
    const many = makePod('p', { spec: { dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3'] } } });
    expect(podDnsSettings(many, cluster, node)?.nameservers).toEqual(['10.42.1.1', '1.1.1.1', '2.2.2.2']);
    expect(parseResolvConf('# c\nnameserver 192.0.2.1\nnameserver 192.0.2.2 ; x\nsearch a b\noptions ndots:2 edns0\n')).toEqual({
      nameservers: ['192.0.2.1', '192.0.2.2'],
      searches: ['a', 'b'],
      options: ['ndots:2', 'edns0'],
    });
  });
});

describe('the overlay plan', () => {
  const peers = [
    { node: 'b', podCIDR: '10.42.2.0/24', nodeIP: '192.0.2.12', vtepMAC: '0A:58:0A:2A:02:00' },
    { node: 'a', podCIDR: '10.42.1.0/24', nodeIP: '192.0.2.11', vtepMAC: '0a:58:0a:2a:01:00' },
    { node: 'c', podCIDR: '10.42.3.0/24', nodeIP: '192.0.2.13' },
    { node: 'd', podCIDR: 'bogus', nodeIP: '192.0.2.14', vtepMAC: '0a:58:0a:2a:04:00' },
  ];

  it('a route, a permanent neighbour and an fdb entry per other node with a VTEP MAC', () => {
    expect(overlayPlan(peers, { node: 'a', podCIDR: '10.42.1.0/24' })).toEqual({
      routes: [{ dst: '10.42.2.0/24', via: '10.42.2.0' }],
      neighbours: [{ ip: '10.42.2.0', mac: '0a:58:0a:2a:02:00' }],
      fdb: [{ mac: '0a:58:0a:2a:02:00', dst: '192.0.2.12' }],
    });
    expect(vtepMacFor('10.42.1.0')).toBe('0a:58:0a:2a:01:00');
  });

  it('what to add and what to remove (a peer that left, one that moved)', () => {
    const want = overlayPlan(peers, { node: 'a', podCIDR: '10.42.1.0/24' });
    const have = {
      routes: [{ dst: '10.42.2.0/24', via: '10.42.2.0' }, { dst: '10.42.9.0/24', via: '10.42.9.0' }],
      neighbours: [{ ip: '10.42.9.0', mac: '0a:58:0a:2a:09:00' }],
      fdb: [{ mac: '0a:58:0a:2a:02:00', dst: '192.0.2.99' }],
    };
    expect(overlayChanges(want, have)).toEqual({
      add: { routes: [], neighbours: [{ ip: '10.42.2.0', mac: '0a:58:0a:2a:02:00' }], fdb: [{ mac: '0a:58:0a:2a:02:00', dst: '192.0.2.12' }] },
      remove: {
        routes: [{ dst: '10.42.9.0/24', via: '10.42.9.0' }],
        neighbours: [{ ip: '10.42.9.0', mac: '0a:58:0a:2a:09:00' }],
        fdb: [{ mac: '0a:58:0a:2a:02:00', dst: '192.0.2.99' }],
      },
    });
    expect(overlayChanges(want, want)).toEqual({ add: { routes: [], neighbours: [], fdb: [] }, remove: { routes: [], neighbours: [], fdb: [] } });
  });

  it("reads the kernel's listings, leaving out what the kernel made", () => {
    const state = parseOverlayState(
      [{ dst: '10.42.2.0/24', gateway: '10.42.2.0', flags: ['onlink'] }, { dst: '10.42.1.0', protocol: 'kernel' }],
      [{ dst: '10.42.2.0', lladdr: '0A:58:0A:2A:02:00', state: ['PERMANENT'] }, { dst: '10.42.7.0', lladdr: 'aa:bb:cc:dd:ee:ff', state: ['STALE'] }],
      [{ mac: '0a:58:0a:2a:02:00', dst: '192.0.2.12', flags: ['self'], state: 'permanent' }, { mac: '00:00:00:00:00:00', dst: '192.0.2.1' }],
    );
    expect(state).toEqual({
      routes: [{ dst: '10.42.2.0/24', via: '10.42.2.0' }],
      neighbours: [{ ip: '10.42.2.0', mac: '0a:58:0a:2a:02:00' }],
      fdb: [{ mac: '0a:58:0a:2a:02:00', dst: '192.0.2.12' }],
    });
  });
});

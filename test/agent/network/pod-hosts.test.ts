/** A pod's hostname and /etc/hosts, as the kubelet writes them. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { podHostname, renderPodHosts, writePodHosts } from '../../../agent/network/pod-hosts.js';
import { makePod } from '../helpers.js';

describe('pod hostname and hosts file', () => {
  it('the hostname is spec.hostname, else the name cut to 63 characters; a subdomain gives the FQDN', () => {
    expect(podHostname(makePod('web-7d4b9-x2k'), 'cluster.local')).toEqual({ hostname: 'web-7d4b9-x2k' });
    const long = `${'a'.repeat(62)}-bcd`;
    expect(podHostname(makePod(long), 'cluster.local').hostname).toBe('a'.repeat(62));
    const named = makePod('db-0', { metadata: { namespace: 'shop' }, spec: { hostname: 'primary', subdomain: 'db' } });
    expect(podHostname(named, 'edge.local')).toEqual({ hostname: 'primary', domain: 'db.shop.svc.edge.local' });
  });

  it("renders the kubelet's managed hosts file, the FQDN first when there is a domain", () => {
    const text = renderPodHosts(['10.42.1.5'], { hostname: 'primary', domain: 'db.shop.svc.cluster.local' });
    expect(text.split('\n')).toEqual([
      '# Kubernetes-managed hosts file.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix',
      'fe00::1\tip6-allnodes',
      'fe00::2\tip6-allrouters',
      '10.42.1.5\tprimary.db.shop.svc.cluster.local\tprimary',
      '',
    ]);
    expect(renderPodHosts(['10.42.1.6'], { hostname: 'web-1' })).toContain('\n10.42.1.6\tweb-1\n');
  });

  it('writes the file in place (same inode) and mounts it at /etc/hosts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drover-hosts-'));
    try {
      const m = await writePodHosts(dir, 'uid-1', renderPodHosts(['10.42.1.5'], { hostname: 'a' }));
      expect(m).toEqual({ hostPath: join(dir, 'pods', 'uid-1', 'hosts'), containerPath: '/etc/hosts', readOnly: false });
      const before = await stat(m.hostPath);
      await writePodHosts(dir, 'uid-1', renderPodHosts(['10.42.1.9'], { hostname: 'a' }));
      expect((await stat(m.hostPath)).ino).toBe(before.ino);
      expect(await readFile(m.hostPath, 'utf8')).toContain('10.42.1.9\ta\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import { describe, expect, it } from 'vitest';
import { bundleFileName, bundleIndexSchema, compareBundleVersions, parseBundleFileName } from '../../protocol/agent-bundle.js';

describe('agent bundle names and versions', () => {
  it('round-trips a bundle file name', () => {
    expect(bundleFileName('0.3.0', 'arm64')).toBe('drover-agent-0.3.0-linux-arm64.tar.gz');
    expect(parseBundleFileName('drover-agent-0.3.0-rc.1-linux-armv7.tar.gz')).toEqual({ version: '0.3.0-rc.1', arch: 'armv7' });
    expect(parseBundleFileName('drover-agent-0.3.0-linux-mips.tar.gz')).toEqual({ version: '0.3.0', arch: 'mips' });
  });

  it('refuses names that are not bundles, paths among them', () => {
    for (const name of ['', 'index.json', '../pki/ca.key', 'drover-agent-0.1.0-linux-amd64.tar.gz.sha256', 'x/drover-agent-0.1.0-linux-amd64.tar.gz', 'drover-agent-0.1-linux-amd64.tar.gz']) {
      expect(parseBundleFileName(name), name).toBeUndefined();
    }
  });

  it('orders versions as semver does', () => {
    const sorted = ['0.10.0', '0.2.0', '0.2.0-rc.2', '0.2.0-rc.10', '0.2.0-alpha', '1.0.0', '0.2.1+build.5'].sort(compareBundleVersions);
    expect(sorted).toEqual(['0.2.0-alpha', '0.2.0-rc.2', '0.2.0-rc.10', '0.2.0', '0.2.1+build.5', '0.10.0', '1.0.0']);
    expect(compareBundleVersions('0.1.0', '0.1.0+x')).toBe(0);
  });

  it('validates index entries strictly', () => {
    const entry = { version: '0.1.0', arch: 'amd64', file: 'drover-agent-0.1.0-linux-amd64.tar.gz', size: 1, sha256: 'a'.repeat(64), signature: 'c2ln' };
    expect(bundleIndexSchema.parse([entry])).toEqual([entry]);
    expect(() => bundleIndexSchema.parse([{ ...entry, arch: 'mips' }])).toThrow();
    expect(() => bundleIndexSchema.parse([{ ...entry, extra: 1 }])).toThrow();
  });
});

import { readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createFactsCollector, defaultFingerprinters } from '../../../agent/host/collector.js';
import { createCpuFingerprinter } from '../../../agent/host/cpu.js';
import { createDiskFingerprinter } from '../../../agent/host/disk.js';
import { createHostFingerprinter, kubernetesArch, prettyName } from '../../../agent/host/machine.js';
import { createMemoryFingerprinter } from '../../../agent/host/memory.js';
import { internalIPv4s } from '../../../agent/host/network.js';
import { createRuntimeFingerprinter } from '../../../agent/host/container-runtime.js';
import { silentLogger } from '../../../protocol/logger.js';
import { createFakeRuntime } from '../../../runtime-adapters/fake/fake.js';

describe('fingerprinters (this machine)', () => {
  it('cpu: cores, model and a load percentage', async () => {
    const cpu = await createCpuFingerprinter().collect();
    expect(cpu.cores).toBeGreaterThan(0);
    expect(cpu.model.length).toBeGreaterThan(0);
    expect(cpu.loadPercent).toBeGreaterThanOrEqual(0);
    expect(cpu.loadPercent).toBeLessThanOrEqual(100);
  });

  it('memory: used is below total', async () => {
    const m = await createMemoryFingerprinter().collect();
    expect(m.totalBytes).toBeGreaterThan(0);
    expect(m.usedBytes).toBeGreaterThan(0);
    expect(m.usedBytes + m.availableBytes).toBeLessThanOrEqual(m.totalBytes);
  });

  it('disk: the filesystem holding the data dir', async () => {
    const d = await createDiskFingerprinter({ dataDir: '/tmp' }).collect();
    expect(d.sizeBytes).toBeGreaterThan(0);
    expect(d.usedBytes).toBeLessThanOrEqual(d.sizeBytes);
    expect(d.availableBytes).toBeLessThanOrEqual(d.sizeBytes - d.usedBytes);
  });

  it('host: Kubernetes arch name, linux, the os-release PRETTY_NAME, kernel, machine id', async () => {
    const h = await createHostFingerprinter().collect();
    expect(h.architecture).toBe(kubernetesArch(arch()));
    expect(h.operatingSystem).toBe('linux');
    // e.g. "Debian GNU/Linux 12 (bookworm)"
    expect(h.osImage).toBe(prettyName(readFileSync('/etc/os-release', 'utf8')));
    expect(h.osImage).not.toBe('unknown');
    expect(h.kernelVersion).toMatch(/^\d+\.\d+/);
    expect(h.machineID).toMatch(/^[0-9a-f]{32}$/);
    expect(h.hostname.length).toBeGreaterThan(0);
  });

  it('maps architectures and reads PRETTY_NAME', () => {
    expect(kubernetesArch('x64')).toBe('amd64');
    expect(kubernetesArch('arm64')).toBe('arm64');
    expect(kubernetesArch('arm')).toBe('arm');
    expect(prettyName('NAME="Debian"\nPRETTY_NAME="Raspbian GNU/Linux 12 (bookworm)"\n')).toBe('Raspbian GNU/Linux 12 (bookworm)');
    expect(prettyName('NAME=x')).toBeUndefined();
  });

  it('network: non-internal IPv4 of the host, default route first, container bridges left out', () => {
    expect(
      internalIPv4s([
        { iface: 'lo', ip4: '127.0.0.1', internal: true },
        { iface: 'docker0', ip4: '172.17.0.1', internal: false },
        { iface: 'wlan0', ip4: '192.168.1.20', internal: false },
        { iface: 'eth0', ip4: '10.0.0.5', internal: false, default: true },
        { iface: 'veth12', ip4: '', internal: false },
      ]),
    ).toEqual(['10.0.0.5', '192.168.1.20']);
  });

  it('runtime: version and images', async () => {
    const r = await createRuntimeFingerprinter({ runtime: createFakeRuntime() }).collect();
    expect(r).toEqual({ version: 'fake://1.0.0', images: [{ name: 'drover.local/busybox:test' }] });
  });

  it('the collector keeps the previous value when a fingerprinter fails', async () => {
    const runtime = createFakeRuntime();
    const collector = createFactsCollector({ fingerprinters: defaultFingerprinters({ dataDir: '/tmp', runtime }), logger: silentLogger() });
    await collector.start();
    expect(collector.facts().runtime?.version).toBe('fake://1.0.0');
    expect(collector.facts().network?.internalIPs.length).toBeGreaterThan(0);
    runtime.hooks.setUnavailable(true);
    await collector.refresh();
    expect(collector.facts().runtime?.version).toBe('fake://1.0.0');
    collector.stop();
  });
});

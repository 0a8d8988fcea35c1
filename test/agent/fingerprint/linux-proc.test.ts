import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuFingerprinter, loadBetween } from '../../../agent/fingerprint/cpu.js';
import { createHostFingerprinter, kubernetesOs } from '../../../agent/fingerprint/host.js';
import { cpuinfoModel, defaultRouteInterface, machineId, parseMeminfo, readOptional } from '../../../agent/fingerprint/linux-proc.js';
import { createMemoryFingerprinter } from '../../../agent/fingerprint/memory.js';
import { createNetworkFingerprinter, interfaceInfos, internalIPv4s } from '../../../agent/fingerprint/network.js';
import { tempDir } from '../helpers.js';

const MEMINFO = `MemTotal:        3884096 kB
MemFree:          210000 kB
MemAvailable:    2500000 kB
Buffers:           50000 kB
Cached:          1800000 kB
`;

const ROUTES = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth1\t00000000\t0100000A\t0002\t0\t0\t0\t00000000\t0\t0\t0
`;

// Raspberry Pi 4 (arm64): no "model name" line, libuv reports no model.
const PI_CPUINFO = `processor\t: 0
BogoMIPS\t: 108.00
CPU part\t: 0xd08

Hardware\t: BCM2835
Revision\t: c03114
Model\t\t: Raspberry Pi 4 Model B Rev 1.4
`;

describe('linux /proc readers', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir('drover-fp-')));
  afterAll(() => cleanup());

  it('parses MemTotal, MemAvailable and MemFree in bytes', () => {
    expect(parseMeminfo(MEMINFO)).toEqual({ totalBytes: 3884096 * 1024, availableBytes: 2500000 * 1024, freeBytes: 210000 * 1024 });
    expect(parseMeminfo('MemTotal: 1000 kB\n')).toEqual({ totalBytes: 1024000, availableBytes: undefined, freeBytes: undefined });
  });

  it('finds the default route with the lowest metric, ignoring routes that are down or not default', () => {
    expect(defaultRouteInterface(ROUTES)).toBe('eth0');
    expect(defaultRouteInterface(ROUTES.split('\n').slice(0, 2).join('\n'))).toBeUndefined();
  });

  it('reads a 32-hex machine id, skipping missing or malformed files', async () => {
    await writeFile(join(dir, 'bad-id'), 'not-an-id\n');
    await writeFile(join(dir, 'good-id'), '3D1219C7C4C5404AAA1F6D2A48ADFDA4\n');
    expect(await machineId([join(dir, 'missing'), join(dir, 'bad-id'), join(dir, 'good-id')])).toBe('3d1219c7c4c5404aaa1f6d2a48adfda4');
    expect(await machineId([join(dir, 'missing')])).toBeUndefined();
  });

  it('takes the model name, else the board model from /proc/cpuinfo', () => {
    expect(cpuinfoModel('model name\t: ARMv7 Processor rev 3 (v7l)\nModel\t: Raspberry Pi 3\n')).toBe('ARMv7 Processor rev 3 (v7l)');
    expect(cpuinfoModel(PI_CPUINFO)).toBe('Raspberry Pi 4 Model B Rev 1.4');
    expect(cpuinfoModel('processor: 0\n')).toBeUndefined();
  });

  it('readOptional: undefined for a missing file, errors other than absence are thrown', async () => {
    expect(await readOptional(join(dir, 'nope'))).toBeUndefined();
    await expect(readOptional(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

describe('fingerprinters on their sources', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir('drover-fp-')));
  afterAll(() => cleanup());

  it('memory: MemAvailable counts as available (cache is reclaimable)', async () => {
    await writeFile(join(dir, 'meminfo'), MEMINFO);
    const m = await createMemoryFingerprinter({ meminfoPath: join(dir, 'meminfo') }).collect();
    expect(m).toEqual({ totalBytes: 3884096 * 1024, availableBytes: 2500000 * 1024, usedBytes: (3884096 - 2500000) * 1024 });
  });

  it('cpu load: the busy share between two samples', () => {
    expect(loadBetween({ busy: 100, total: 1000 }, { busy: 350, total: 2000 })).toBe(25);
    expect(loadBetween({ busy: 100, total: 1000 }, { busy: 100, total: 1000 })).toBe(0);
    expect(loadBetween({ busy: 0, total: 0 }, { busy: 1, total: 3 })).toBe(33.3);
  });

  it('cpu: successive collections give a load between 0 and 100', async () => {
    const fp = createCpuFingerprinter();
    await fp.collect();
    const until = Date.now() + 50;
    while (Date.now() < until); // some busy time on this core
    const c = await fp.collect();
    expect(c.loadPercent).toBeGreaterThanOrEqual(0);
    expect(c.loadPercent).toBeLessThanOrEqual(100);
  });

  it('network: one entry per interface with its first IPv4, the default route marked', () => {
    const infos = interfaceInfos(
      {
        lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
        wlan0: [
          { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: 'aa:bb:cc:dd:ee:ff', internal: false, cidr: 'fe80::1/64', scopeid: 3 },
          { address: '192.168.1.20', netmask: '255.255.255.0', family: 'IPv4', mac: 'aa:bb:cc:dd:ee:ff', internal: false, cidr: '192.168.1.20/24' },
        ],
        eth0: [{ address: '10.0.0.5', netmask: '255.255.255.0', family: 'IPv4', mac: 'aa:bb:cc:dd:ee:00', internal: false, cidr: '10.0.0.5/24' }],
        docker0: [{ address: '172.17.0.1', netmask: '255.255.0.0', family: 'IPv4', mac: 'aa:bb:cc:dd:ee:01', internal: false, cidr: '172.17.0.1/16' }],
      },
      'eth0',
    );
    expect(infos.find((i) => i.iface === 'wlan0')).toEqual({ iface: 'wlan0', ip4: '192.168.1.20', internal: false, default: false });
    expect(internalIPv4s(infos)).toEqual(['10.0.0.5', '192.168.1.20']);
  });

  it('network (this machine): the default route interface address comes first', async () => {
    const n = await createNetworkFingerprinter().collect();
    expect(n.internalIPs.length).toBeGreaterThan(0);
    const routes = await readOptional('/proc/net/route');
    const iface = routes ? defaultRouteInterface(routes) : undefined;
    const { networkInterfaces } = await import('node:os');
    const defaultIp = iface ? networkInterfaces()[iface]?.find((a) => a.family === 'IPv4')?.address : undefined;
    if (defaultIp) expect(n.internalIPs[0]).toBe(defaultIp);
  });

  it('host: the machine id file and os-release given, values come from them', async () => {
    await writeFile(join(dir, 'os-release'), 'PRETTY_NAME="Raspbian GNU/Linux 12 (bookworm)"\n');
    await writeFile(join(dir, 'machine-id'), '0123456789abcdef0123456789abcdef\n');
    const h = await createHostFingerprinter({ osReleasePath: join(dir, 'os-release'), machineIdPaths: [join(dir, 'machine-id')] }).collect();
    expect(h.osImage).toBe('Raspbian GNU/Linux 12 (bookworm)');
    expect(h.machineID).toBe('0123456789abcdef0123456789abcdef');
  });

  it('host: without those files it falls back to systeminformation', async () => {
    const h = await createHostFingerprinter({ osReleasePath: join(dir, 'none'), machineIdPaths: [join(dir, 'none')] }).collect();
    expect(h.osImage.length).toBeGreaterThan(0);
    expect(h.osImage).not.toBe('unknown');
    expect(h.machineID).toMatch(/^[0-9a-f]{32}$/);
  });

  it('maps node platforms to kubernetes.io/os values', () => {
    expect(kubernetesOs('linux')).toBe('linux');
    expect(kubernetesOs('win32')).toBe('windows');
    expect(kubernetesOs('darwin')).toBe('darwin');
  });
});

import { readFile } from 'node:fs/promises';
import { arch } from 'node:os';
import * as si from './systeminformation.js';
import { fingerprinter, type Fingerprinter } from './fingerprinter.js';

export interface HostFacts {
  /** Kubernetes' name for the CPU architecture: amd64, arm64, arm, ... */
  architecture: string;
  operatingSystem: string;
  /** PRETTY_NAME of /etc/os-release, e.g. "Debian GNU/Linux 12 (bookworm)". */
  osImage: string;
  kernelVersion: string;
  hostname: string;
  machineID: string;
}

const ARCH_NAMES: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips: 'mips',
  mipsel: 'mipsle',
  loong64: 'loong64',
};

/** Node's os.arch() name to the GOARCH name Kubernetes uses in kubernetes.io/arch. */
export function kubernetesArch(nodeArch: string): string {
  return ARCH_NAMES[nodeArch] ?? nodeArch;
}

/** PRETTY_NAME from os-release text, unquoted. */
export function prettyName(osRelease: string): string | undefined {
  const m = /^PRETTY_NAME=(.*)$/m.exec(osRelease);
  if (!m) return undefined;
  return m[1]!.trim().replace(/^(["'])(.*)\1$/, '$2');
}

export function createHostFingerprinter(opts: { periodMs?: number; osReleasePath?: string } = {}): Fingerprinter<HostFacts> {
  return fingerprinter('host', opts.periodMs ?? 10 * 60_000, async () => {
    const [os, uuid, osRelease] = await Promise.all([
      si.osInfo(),
      si.uuid(),
      readFile(opts.osReleasePath ?? '/etc/os-release', 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return '';
        throw err;
      }),
    ]);
    const osImage = prettyName(osRelease) ?? ([os.distro, os.release, os.codename ? `(${os.codename})` : ''].filter(Boolean).join(' ') || 'unknown');
    return {
      architecture: kubernetesArch(arch()),
      operatingSystem: os.platform === 'Linux' ? 'linux' : os.platform.toLowerCase(),
      osImage,
      kernelVersion: os.kernel,
      hostname: os.hostname,
      machineID: uuid.os,
    };
  });
}

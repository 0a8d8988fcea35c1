import { arch, hostname, platform, release, type as osType } from 'node:os';
import type { Fingerprinter } from './fingerprinter.js';
import { machineId, readOptional } from './linux-proc.js';

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

/** Node's os.platform() as Kubernetes' kubernetes.io/os value (GOOS). */
export function kubernetesOs(nodePlatform: string): string {
  return nodePlatform === 'win32' ? 'windows' : nodePlatform;
}

/**
 * Host facts from node:os, /etc/os-release and /etc/machine-id. systeminformation is loaded (lazily)
 * only where those files are missing (not Linux), so a Linux agent never holds it in memory.
 */
export function createHostFingerprinter(opts: { periodMs?: number; osReleasePath?: string; machineIdPaths?: string[] } = {}): Fingerprinter<HostFacts> {
  return {
    name: 'host',
    periodMs: opts.periodMs ?? 10 * 60_000,
    async collect() {
      const [osRelease, id] = await Promise.all([readOptional(opts.osReleasePath ?? '/etc/os-release'), machineId(opts.machineIdPaths)]);
      let osImage = osRelease === undefined ? undefined : prettyName(osRelease);
      let machineID = id;
      if (osImage === undefined || machineID === undefined) {
        const si = await import('systeminformation');
        if (osImage === undefined) {
          const os = await si.osInfo();
          osImage = [os.distro, os.release, os.codename ? `(${os.codename})` : ''].filter(Boolean).join(' ') || `${osType()} ${release()}`;
        }
        machineID ??= (await si.uuid()).os;
      }
      return {
        architecture: kubernetesArch(arch()),
        operatingSystem: kubernetesOs(platform()),
        osImage,
        kernelVersion: release(),
        hostname: hostname(),
        machineID,
      };
    },
  };
}

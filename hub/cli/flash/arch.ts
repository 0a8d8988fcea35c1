/** Detect a root file system's CPU architecture from the ELF header of its shell. */
import { UsageError } from '../errors.js';

export type BundleArch = 'amd64' | 'arm64' | 'armv7';

const E_MACHINE: Record<number, BundleArch> = { 0x3e: 'amd64', 0xb7: 'arm64', 0x28: 'armv7' };

/** Candidates tried in order (usr-merged systems have /bin -> usr/bin, a symlink debugfs does not follow). */
export const ARCH_PROBES = ['/usr/bin/dash', '/bin/dash', '/bin/sh', '/usr/bin/sh', '/bin/busybox', '/usr/bin/bash', '/bin/bash'];

/** The arch from an ELF header, or undefined when the bytes are not ELF. Throws for an ELF of an unsupported machine. */
export function archFromElf(head: Buffer, what: string): BundleArch | undefined {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const little = head[5] === 1;
  const machine = little ? head.readUInt16LE(18) : head.readUInt16BE(18);
  const arch = E_MACHINE[machine];
  if (!arch) throw new UsageError(`${what} is an ELF binary for machine 0x${machine.toString(16)}: Drover has agent bundles only for amd64 (x86_64), arm64 (aarch64) and armv7 (arm)`);
  return arch;
}

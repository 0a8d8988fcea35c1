/**
 * A Debian machine under qemu for the slow tests: the cached guest root file system (install/build-qemu-guest.sh),
 * a disk image made from it each run as a device vendor's image is (MBR, FAT boot "bootfs", ext4 root "drover-root"
 * written with mkfs.ext4 -d at the partition's offset: no mount, no loop device), and qemu-system-x86_64 booting
 * it with the guest's own kernel and initrd (-kernel/-initrd), user-mode networking (the host's loopback is
 * 10.0.2.2 to the guest) and the serial console in a log file.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { track, type Proc } from '../../e2e/support.js';

const run = promisify(execFile);
const MIB = 1024 * 1024;
export const ROOT = resolve(import.meta.dirname, '../../..');

export interface GuestFiles {
  dir: string;
  rootfs: string;
  kernel: string;
  initrd: string;
}

/** The guest root file system, built once and cached under /opt/drover-test/qemu-guest (5-15 min cold). */
export async function guestFiles(): Promise<GuestFiles> {
  const { stdout } = await run('bash', [join(ROOT, 'install', 'build-qemu-guest.sh')], { maxBuffer: 16 * MIB, timeout: 40 * 60_000 });
  const dir = stdout.trim().split('\n').pop() ?? '';
  return { dir, rootfs: join(dir, 'rootfs'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') };
}

export const BOOT_START_MIB = 1;
export const BOOT_SIZE_MIB = 64;
export const ROOT_START_MIB = BOOT_START_MIB + BOOT_SIZE_MIB;

/** disk image of `rootMiB` root (sparse): partition 1 FAT32 (type c), partition 2 Linux; the root from `rootfs`. */
export async function makeGuestImage(dir: string, rootfs: string, rootMiB = 3072): Promise<string> {
  const img = join(dir, 'guest.img');
  await run('truncate', ['-s', `${(ROOT_START_MIB + rootMiB) * MIB}`, img]);
  const layout = `label: dos\nstart=${BOOT_START_MIB * 2048}, size=${BOOT_SIZE_MIB * 2048}, type=c\nstart=${ROOT_START_MIB * 2048}, type=83\n`;
  await new Promise<void>((res, rej) => {
    const child = execFile('sfdisk', ['--quiet', img], (err) => (err ? rej(err) : res()));
    child.stdin?.end(layout);
  });
  const fat = join(dir, 'boot.fat');
  await run('truncate', ['-s', `${BOOT_SIZE_MIB * MIB}`, fat]);
  await run('mkfs.vfat', ['-F', '32', '-n', 'BOOTFS', fat]);
  await run('dd', [`if=${fat}`, `of=${img}`, 'bs=1M', `seek=${BOOT_START_MIB}`, 'conv=notrunc', 'status=none']);
  await run('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'drover-root', '-E', `offset=${ROOT_START_MIB * MIB}`, '-d', rootfs, img, `${rootMiB}M`], { timeout: 10 * 60_000 });
  return img;
}

/**
 * KVM when the host CPU has hardware virtualization (vmx/svm) and /dev/kvm is there, else TCG (software). A
 * paravirtual KVM without vmx/svm (kvm-pvm, as in some cloud sandboxes) cannot run a stock Debian kernel: its
 * emulator stops at the kernel's first VEX instruction ("KVM internal error ... emulation failure").
 * DROVER_QEMU_ACCEL=kvm|tcg decides instead.
 */
export async function chooseAccel(): Promise<'kvm' | 'tcg'> {
  const forced = process.env.DROVER_QEMU_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return forced;
  if (!existsSync('/dev/kvm')) return 'tcg';
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8');
  return /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo) ? 'kvm' : 'tcg';
}

export interface GuestOptions {
  image: string;
  files: GuestFiles;
  serialLog: string;
  accel: 'kvm' | 'tcg';
  memoryMiB?: number;
  cpus?: number;
}

/** Boot the image: the guest's kernel on its root partition, the serial console to `serialLog`; own process group. */
export function bootGuest(o: GuestOptions): Proc {
  const args = [
    ...(o.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max']),
    '-m', String(o.memoryMiB ?? 1536), '-smp', String(o.cpus ?? 2),
    '-kernel', o.files.kernel, '-initrd', o.files.initrd,
    '-append', 'root=/dev/vda2 rw console=ttyS0 net.ifnames=0 systemd.show_status=1',
    '-drive', `file=${o.image},format=raw,if=virtio`,
    '-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0',
    '-serial', `file:${o.serialLog}`, '-display', 'none', '-monitor', 'none', '-no-reboot',
  ];
  return track(spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
}

/** The guest's journal of the drover units, read from the stopped guest's image (debugfs rdump, journalctl --file). */
export async function guestJournal(dir: string, lines = 80): Promise<string> {
  const out = join(dir, 'journal');
  await mkdir(out, { recursive: true });
  await run('debugfs', ['-R', `rdump /var/log/journal ${out}`, `${join(dir, 'guest.img')}?offset=${ROOT_START_MIB * MIB}`]);
  const { stdout } = await run('sh', ['-c', `journalctl --no-pager -D "${join(out, 'journal')}"/* -u drover-firstboot -u drover-agent -u containerd -n ${lines} | cut -c1-600`], { maxBuffer: 16 * MIB });
  return stdout;
}

/** Test disk images for `drover flash`: an MBR with a FAT boot and an ext4 root partition, built with Debian tools. */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const MAIN = join(import.meta.dirname, '..', '..', '..', 'dist', 'hub', 'cli', 'main.js');

const MIB = 1024 * 1024;

/** A 24 MiB image: partition 1 FAT (8 MiB at 1 MiB), partition 2 ext4 (14 MiB) holding /etc and /bin/sh (a copy of busybox). */
export async function makeTestImage(dir: string, opts: { root?: boolean; shell?: string; gpt?: boolean } = {}): Promise<string> {
  const img = join(dir, 'test.img');
  await run('truncate', ['-s', `${24 * MIB}`, img]);
  const layout = opts.gpt
    ? 'label: gpt\nstart=2048, size=16384, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\nstart=18432, size=28672, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n'
    : opts.root === false ? 'label: dos\nstart=2048, size=16384, type=c\n' : 'label: dos\nstart=2048, size=16384, type=c\nstart=18432, type=83\n';
  await runWithInput('sfdisk', ['--quiet', img], layout);
  const fat = join(dir, 'boot.fat');
  await run('truncate', ['-s', `${8 * MIB}`, fat]);
  await run('mkfs.vfat', ['-n', 'bootfs', fat]);
  await run('dd', [`if=${fat}`, `of=${img}`, 'bs=1M', 'seek=1', 'conv=notrunc', 'status=none']);
  if (opts.root !== false) {
    const stage = join(dir, 'rootfs');
    await mkdir(join(stage, 'etc'), { recursive: true });
    await mkdir(join(stage, 'bin'), { recursive: true });
    await mkdir(join(stage, 'root'), { recursive: true });
    await writeFile(join(stage, 'etc', 'os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n');
    await writeFile(join(stage, 'etc', 'hostname'), 'raspberrypi\n');
    await copyFile(opts.shell ?? '/bin/busybox', join(stage, 'bin', 'sh'));
    const ext = join(dir, 'root.ext4');
    await run('mke2fs', ['-q', '-t', 'ext4', '-d', stage, ext, `${14 * MIB / 1024}k`]);
    await run('dd', [`if=${ext}`, `of=${img}`, 'bs=1M', 'seek=9', 'conv=notrunc', 'status=none']);
  }
  return img;
}

function runWithInput(cmd: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, (err) => (err ? reject(err) : resolve()));
    child.stdin?.end(input);
  });
}

export const ROOT_OFFSET = 9 * MIB;
export const BOOT_OFFSET = 1 * MIB;

/** debugfs stat of a path in the test image's root: mode (octal string), uid, gid, type, link target. */
export async function statInImage(img: string, path: string): Promise<{ mode: string; uid: number; gid: number; type: string; link?: string }> {
  const { stdout } = await run('debugfs', ['-R', `stat "${path}"`, `${img}?offset=${ROOT_OFFSET}`]);
  const mode = /Mode:\s+(\d+)/.exec(stdout)?.[1] ?? '';
  const uid = Number(/User:\s+(\d+)/.exec(stdout)?.[1]);
  const gid = Number(/Group:\s+(\d+)/.exec(stdout)?.[1]);
  const type = /Type: (\w+)/.exec(stdout)?.[1] ?? 'missing';
  const link = /Fast link dest: "([^"]*)"/.exec(stdout)?.[1];
  return { mode, uid, gid, type, ...(link ? { link } : {}) };
}

export async function catInImage(img: string, path: string): Promise<string> {
  const { stdout } = await run('debugfs', ['-R', `cat "${path}"`, `${img}?offset=${ROOT_OFFSET}`], { encoding: 'latin1', maxBuffer: 64 * MIB });
  return stdout;
}

/**
 * The Debian tools that edit an image file without mounting it: debugfs (e2fsprogs) for the ext4 root
 * (`img?offset=N`, a command file with -f: write, mkdir, symlink, sif for mode/uid/gid) and mcopy (mtools)
 * for the FAT boot partition (`-i img@@OFFSET`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { UsageError } from '../errors.js';

const run = promisify(execFile);

async function tool(cmd: string, args: string[], pkg: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(cmd, args, { maxBuffer: 64 * 1024 * 1024, encoding: 'latin1', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new UsageError(`${cmd} is not installed: apt-get install ${pkg}`, { cause: err });
    throw new UsageError(`${cmd} ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
}

const ext = (image: string, offset: number) => `${image}?offset=${offset}`;

/** Run a debugfs command file read-write on the ext4 fs at offset; debugfs reports per-command errors on stderr. */
export async function debugfsScript(image: string, offset: number, commands: string[], cmdFile: string, write: (f: string, s: string) => Promise<void>, check: boolean): Promise<void> {
  await write(cmdFile, commands.join('\n') + '\n');
  const { stderr } = await tool('debugfs', ['-w', '-f', cmdFile, ext(image, offset)], 'e2fsprogs');
  if (!check) return;
  // mkdir of an existing directory is fine (the image's own /etc, /root ...)
  const errors = stderr.split('\n').filter((l) => /^(\w+: )?.*(not found|error|Could not|cannot|No free space)/i.test(l) && !/^debugfs \d/.test(l) && !/already exists/.test(l));
  if (errors.length > 0) throw new UsageError(`debugfs could not edit the root file system: ${errors.join('; ')}`);
}

/** The first bytes of a file in the ext4 fs, or undefined when it is missing or not a regular file. */
export async function debugfsCat(image: string, offset: number, path: string): Promise<Buffer | undefined> {
  const { stdout, stderr } = await tool('debugfs', ['-R', `cat ${path}`, ext(image, offset)], 'e2fsprogs');
  if (/not found|Ext2 inode is not a file/i.test(stderr) || stdout.length === 0) return undefined;
  return Buffer.from(stdout, 'latin1');
}

export async function mcopy(image: string, offset: number, src: string, dest: string): Promise<void> {
  await tool('mcopy', ['-o', '-i', `${image}@@${offset}`, src, `::${dest}`], 'mtools');
}

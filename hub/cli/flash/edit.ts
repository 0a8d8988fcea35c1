/** Apply a FlashPlan to an image file: the ext4 root with debugfs, the FAT boot partition with mcopy. */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Partition } from './partitions.js';
import type { FlashPlan } from './plan.js';
import { debugfsScript, mcopy } from './tools.js';

/** Directories created with a mode other than 0755. */
const DIR_MODES: Record<string, number> = { '/root': 0o700, '/root/.ssh': 0o700, '/etc/drover/firstboot': 0o700, '/etc/NetworkManager/system-connections': 0o700 };

function ancestors(paths: string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) for (let d = posix.dirname(p); d !== '/'; d = posix.dirname(d)) dirs.add(d);
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length);
}

const q = (p: string) => `"${p}"`;

export async function applyPlan(image: string, boot: Partition, root: Partition, plan: FlashPlan, progress: (msg: string) => void): Promise<void> {
  const stage = await mkdtemp(join(tmpdir(), 'drover-flash-'));
  try {
    const targets = [...plan.root.map((f) => f.path), ...plan.links.map((l) => l.path)];
    // 1. remove what will be replaced (a missing file is fine: that run's complaints are not errors)
    await debugfsScript(image, root.offset, targets.map((t) => `rm ${q(t)}`), join(stage, 'rm.cmds'), writeFile, false);
    // 2. directories, files, owners and modes, links
    const cmds: string[] = [];
    for (const d of ancestors(targets)) cmds.push(`mkdir ${q(d)}`);
    for (const d of ancestors(targets)) {
      const mode = DIR_MODES[d];
      // directories that already existed keep their mode; new ones are 0755; the secret ones are locked down
      if (mode !== undefined) cmds.push(`sif ${q(d)} mode 0${(0o40000 | mode).toString(8)}`, `sif ${q(d)} uid 0`, `sif ${q(d)} gid 0`);
    }
    for (const [i, f] of plan.root.entries()) {
      const src = join(stage, `f${i}`);
      if (f.source) await copyFile(f.source, src);
      else await writeFile(src, f.content ?? '', { mode: 0o600 });
      progress(`  ${f.path} (${(f.mode).toString(8).padStart(4, '0')} root:root)`);
      cmds.push(`write ${q(src)} ${q(f.path)}`, `sif ${q(f.path)} mode 0${(0o100000 | f.mode).toString(8)}`, `sif ${q(f.path)} uid 0`, `sif ${q(f.path)} gid 0`);
    }
    for (const l of plan.links) {
      progress(`  ${l.path} -> ${l.target}`);
      cmds.push(`symlink ${q(l.path)} ${q(l.target)}`);
    }
    await debugfsScript(image, root.offset, cmds, join(stage, 'write.cmds'), writeFile, true);
    for (const [i, b] of plan.boot.entries()) {
      const src = join(stage, `b${i}`);
      await writeFile(src, b.content);
      progress(`  boot:${b.path}`);
      await mcopy(image, boot.offset, src, b.path);
    }
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** Prepare the working image: decompress a .img.xz with xz or copy a .img, never touching the user's original. */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '../errors.js';
import { writeToDevice } from './device.js';

export function defaultOutput(input: string, hostname: string): string {
  return `${input.replace(/\.xz$/, '').replace(/\.img$/, '')}-${hostname}.img`;
}

export async function prepareImage(input: string, output: string, progress: (line: string) => void): Promise<void> {
  await access(input).catch((err: unknown) => { throw new UsageError(`cannot read the image ${input}`, { cause: err }); });
  if (!input.endsWith('.xz')) {
    await writeToDevice(input, output, (line) => progress(line.replace(/^writing|^wrote/, (w) => (w === 'writing' ? 'copying to' : 'copied'))));
    return;
  }
  const xz = spawn('xz', ['-dc', '--', input], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  xz.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number>((resolve, reject) => {
    xz.on('error', (err) => reject(new UsageError('xz is not installed: apt-get install xz-utils', { cause: err })));
    xz.on('close', (code) => resolve(code ?? 1));
  });
  let bytes = 0;
  let last = 0;
  xz.stdout.on('data', (d: Buffer) => {
    bytes += d.length;
    if (Date.now() - last >= 500) { last = Date.now(); progress(`decompressing ${input}: ${(bytes / 1024 / 1024).toFixed(1)} MiB`); }
  });
  await pipeline(xz.stdout, createWriteStream(output));
  const code = await exited;
  if (code !== 0) throw new UsageError(`xz could not decompress ${input}: ${stderr.trim()}`);
  progress(`decompressed ${input} to ${output} (${bytes} bytes)`);
}

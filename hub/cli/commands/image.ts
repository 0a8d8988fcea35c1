/**
 * `drover image push|ls|rm`: images kept on the hub for devices without internet. push sends a
 * `docker save` or OCI archive (a file, or `-` for stdin) to the hub, which stores its blobs once
 * (layers shared between images and architectures); devices pull them from the hub's registry (/v2/).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { parseOutputFormat, renderTable, serialize } from '../printers.js';
import { clientFor, withConnectionOptions } from '../shared.js';

interface ImageSummary {
  name: string;
  tag: string;
  digest: string;
  platforms: string[];
  sizeBytes: number;
}

interface PushReply {
  images: ImageSummary[];
  blobsStored: number;
  bytesStored: number;
  blobsShared: number;
  seconds: number;
}

const IMAGES = '/apis/drover.io/v1/images';

/** 1.5MB as docker prints sizes (decimal units). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)}${units[unit]}`;
}

export function registerImageCommand(program: Command, io: CliIO): void {
  const image = program.command('image').description('images kept on the hub, which devices pull from it (no internet needed)');
  withConnectionOptions(image.command('push <archive>'))
    .description('push a `docker save` or OCI image archive to the hub ("-" reads it from stdin)')
    .action(async (archive: string, _flags: unknown, cmd: Command) => {
      const bytes = archive === '-' ? await (io.readStdinBytes?.() ?? io.readStdin().then((t) => Buffer.from(t))) : await readFile(archive);
      if (bytes.length === 0) throw new Error(`${archive === '-' ? 'stdin' : archive} is empty: expected an image archive (docker save NAME:TAG)`);
      const pushed = await clientFor(cmd, io).request<PushReply>('POST', IMAGES, { rawBody: bytes, contentType: 'application/x-tar' });
      for (const i of pushed.images) io.out(`${i.name}:${i.tag} pushed (${i.digest}, ${i.platforms.join(',')}, ${humanSize(i.sizeBytes)})\n`);
      io.err(`${pushed.blobsStored} blobs stored (${humanSize(pushed.bytesStored)}), ${pushed.blobsShared} already on the hub, in ${pushed.seconds.toFixed(2)}s\n`);
    });
  withConnectionOptions(image.command('ls'))
    .alias('list')
    .description('list the images on the hub')
    .option('-o, --output <format>', 'json or yaml')
    .action(async (flags: { output?: string }, cmd: Command) => {
      const format = parseOutputFormat(flags.output);
      const list = await clientFor(cmd, io).request<{ items: ImageSummary[] }>('GET', IMAGES);
      if (format === 'json' || format === 'yaml') {
        io.out(serialize(list, format));
        return;
      }
      if (list.items.length === 0) {
        io.err('No images on the hub.\n');
        return;
      }
      const rows = list.items.map((i) => [i.name, i.tag, i.digest.slice(0, 19), i.platforms.join(','), humanSize(i.sizeBytes)]);
      io.out(renderTable(['NAME', 'TAG', 'DIGEST', 'PLATFORMS', 'SIZE'], rows));
    });
  withConnectionOptions(image.command('rm <image...>'))
    .description('remove NAME:TAG from the hub; blobs no other image uses are freed')
    .action(async (refs: string[], _flags: unknown, cmd: Command) => {
      const client = clientFor(cmd, io);
      for (const ref of refs) {
        const freed = await client.request<{ freedBlobs: number; freedBytes: number }>('DELETE', `${IMAGES}/${encodeURIComponent(ref)}`);
        io.out(`Untagged: ${ref} (${freed.freedBlobs} blobs freed, ${humanSize(freed.freedBytes)})\n`);
      }
    });
}

/** Copy a file to a block device (or any path) with progress (percent, bytes/s) on stderr, then fsync. */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';

export async function writeToDevice(image: string, device: string, progress: (line: string, done: boolean) => void): Promise<number> {
  const total = (await stat(image)).size;
  const out = await open(device, 'r+').catch(() => open(device, 'w'));
  const start = Date.now();
  let written = 0;
  let lastReport = 0;
  try {
    for await (const chunk of createReadStream(image, { highWaterMark: 4 * 1024 * 1024 })) {
      const buf = chunk as Buffer;
      await out.write(buf, 0, buf.length, written);
      written += buf.length;
      const now = Date.now();
      if (now - lastReport >= 500 || written === total) {
        lastReport = now;
        const rate = written / Math.max((now - start) / 1000, 0.001);
        progress(`writing ${device}: ${((written / Math.max(total, 1)) * 100).toFixed(1)}% ${mib(written)}/${mib(total)} MiB ${mib(rate)} MiB/s`, false);
      }
    }
    await out.sync();
  } finally {
    await out.close();
  }
  progress(`wrote ${written} bytes to ${device}`, true);
  return written;
}

const mib = (n: number) => (n / 1024 / 1024).toFixed(1);

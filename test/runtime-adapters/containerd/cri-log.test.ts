import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { criLogTransform, parseCriLine, readCriLog } from '../../../runtime-adapters/containerd/cri-log.js';
import { CRI_LOGGER_SCRIPT, criLogUri } from '../../../runtime-adapters/containerd/cri-logger.js';

const FILE = [
  '2026-12-02T10:00:00.000001000Z stdout F first',
  '2026-12-02T10:00:01.500000000Z stderr F an error',
  '2026-12-02T10:00:02.000000000Z stdout P part one, ',
  '2026-12-02T10:00:02.100000000Z stdout F part two',
  '2026-12-02T10:00:03.000000000Z stdout F last',
  '',
].join('\n');

async function through(chunks: Buffer[], options: Parameters<typeof criLogTransform>[0] = {}): Promise<string> {
  const input = new PassThrough();
  const out = input.pipe(criLogTransform(options));
  const parts: Buffer[] = [];
  out.on('data', (c: Buffer | string) => parts.push(Buffer.from(c)));
  const done = new Promise((r) => out.on('end', r));
  for (const c of chunks) input.write(c);
  input.end();
  await done;
  return Buffer.concat(parts).toString('utf8');
}

describe('CRI log lines', () => {
  it('parses time, stream, partial flag and content (content may hold spaces and tabs)', () => {
    expect(parseCriLine('2026-12-02T10:00:00.000001000Z stderr P a  b\tc')).toEqual({
      time: '2026-12-02T10:00:00.000001000Z',
      timeMs: Date.parse('2026-12-02T10:00:00.000Z'),
      stream: 'stderr',
      partial: true,
      content: 'a  b\tc',
    });
    expect(parseCriLine('2026-12-02T10:00:00Z stdout F ')?.content).toBe('');
  });

  it('refuses lines that are not in the format', () => {
    expect(parseCriLine('plain output')).toBeUndefined();
    expect(parseCriLine('not-a-time stdout F x')).toBeUndefined();
    expect(parseCriLine('2026-12-02T10:00:00Z stdin F x')).toBeUndefined();
  });

  it('reads the output back, joining partial lines', () => {
    expect(readCriLog(FILE)).toBe('first\nan error\npart one, part two\nlast\n');
  });

  it('shows each line with its own time for --timestamps, once per joined line', () => {
    expect(readCriLog(FILE, { timestamps: true }).split('\n')).toEqual([
      '2026-12-02T10:00:00.000001000Z first',
      '2026-12-02T10:00:01.500000000Z an error',
      '2026-12-02T10:00:02.000000000Z part one, part two',
      '2026-12-02T10:00:03.000000000Z last',
      '',
    ]);
  });

  it('keeps lines from --since on and counts --tail in the file', () => {
    expect(readCriLog(FILE, { sinceMs: Date.parse('2026-12-02T10:00:01.000Z') })).toBe('an error\npart one, part two\nlast\n');
    expect(readCriLog(FILE, { tailLines: 2 })).toBe('part two\nlast\n');
    expect(readCriLog(FILE, { tailLines: 0 })).toBe('');
  });

  it('keeps a torn or foreign line as it is rather than dropping output', () => {
    expect(readCriLog('2026-12-02T10:00:00Z stdout F ok\ngarbage\n')).toBe('ok\ngarbage\n');
  });

  it('converts a stream split anywhere, even inside a line and a multi-byte character', async () => {
    const bytes = Buffer.from(`${FILE}2026-12-02T10:00:04.000000000Z stdout F héllo ✓\n`);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
    expect(await through(chunks)).toBe('first\nan error\npart one, part two\nlast\nhéllo ✓\n');
    expect(await through(chunks, { sinceMs: Date.parse('2026-12-02T10:00:02.500Z'), timestamps: true })).toBe(
      '2026-12-02T10:00:03.000000000Z last\n2026-12-02T10:00:04.000000000Z héllo ✓\n',
    );
  });

  it('converts a last line without its newline at the end of the stream', async () => {
    expect(await through([Buffer.from('2026-12-02T10:00:00Z stdout F tail-end')])).toBe('tail-end\n');
  });
});

describe('CRI log driver', () => {
  it('takes the file through the URI query (escaped), as the shim passes it as arguments', () => {
    expect(criLogUri('/var/lib/x/cri-logger.sh', '/var/lib/a b/container.log')).toBe('binary:///var/lib/x/cri-logger.sh?file=%2Fvar%2Flib%2Fa%20b%2Fcontainer.log');
  });

  it('is a bash script that signals ready by closing fd 5 and appends to its file', () => {
    expect(CRI_LOGGER_SCRIPT.startsWith('#!/bin/bash\n')).toBe(true);
    expect(CRI_LOGGER_SCRIPT).toContain('5>&-');
    expect(CRI_LOGGER_SCRIPT).toContain('exec 6>>"$2"');
  });
});

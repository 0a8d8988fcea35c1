/**
 * exec over plain SPDY (hub/api/stream-spdy-exec.ts) against a client made of spdystream's frames and
 * a stand-in node stream: it opens once the expected streams are there with the first terminal size,
 * forwards stdin and its end, later resize JSON, and ends with stdout FINed and the v4 Status
 * (NonZeroExitCode, ExitCode cause) on the error stream.
 */
import { describe, expect, it } from 'vitest';
import type { NodeStream, NodeStreams, StreamHandlers, StreamOpenRequest } from '../../../hub/fleet/node-streams.js';
import { serveSpdyExec } from '../../../hub/api/stream-spdy-exec.js';
import type { SpdyPipe } from '../../../hub/api/stream-port-forward.js';
import { silentLogger } from '../../../protocol/logger.js';
import type { StreamEnd } from '../../../protocol/stream-channel.js';
import { clientDeflate, dataFrame, synStream } from './spdy-client.js';

const tick = () => new Promise((r) => setTimeout(r, 30));

describe('exec over plain SPDY/3.1 (remotecommand v4)', () => {
  it('opens with the first size, forwards stdin, its end and resizes, and ends with the exit code on the error stream', async () => {
    const sent: Buffer[] = [];
    let onBytes: (b: Buffer) => void = () => undefined;
    const pipe: SpdyPipe = { send: (b) => sent.push(b), fail: () => undefined, onBytes: (l) => (onBytes = l), onClose: () => undefined };
    const opened: StreamOpenRequest[] = [];
    const events: string[] = [];
    let handlers: StreamHandlers | undefined;
    let end: (e: StreamEnd) => void = () => undefined;
    const streams: NodeStreams = {
      open(req, h) {
        opened.push(req);
        handlers = h;
        const s: NodeStream = {
          id: 's1',
          ready: Promise.resolve(),
          ended: new Promise((r) => (end = r)),
          write: (ch, d) => (events.push(`write ${ch} ${d.toString()}`), true),
          eof: (ch) => events.push(`eof ${ch}`),
          resize: (w, hgt) => events.push(`resize ${w}x${hgt}`),
          close: () => events.push('close'),
        };
        return s;
      },
    };
    serveSpdyExec(pipe, streams, { node: 'n', kind: 'exec', namespace: 'default', pod: 'p', container: 'c', argv: ['sh'], stdin: true, tty: true }, { stdin: true, stdout: true, stderr: false, tty: true }, silentLogger());
    const deflate = clientDeflate();
    onBytes(await synStream(deflate, 1, { streamtype: 'error' }));
    onBytes(await synStream(deflate, 3, { streamtype: 'stdin' }));
    onBytes(await synStream(deflate, 5, { streamtype: 'stdout' }));
    onBytes(await synStream(deflate, 7, { streamtype: 'resize' }));
    await tick();
    expect(opened).toHaveLength(0); // a TTY waits for its first size
    onBytes(dataFrame(7, Buffer.from('{"Width":100,"Height":30}\n')));
    await tick();
    expect(opened[0]).toMatchObject({ width: 100, height: 30, tty: true });
    onBytes(dataFrame(3, Buffer.from('ls\n')));
    onBytes(dataFrame(7, Buffer.from('{"Width":120,"Height":40}\n{"Width":90')));
    onBytes(dataFrame(7, Buffer.from(',"Height":20}\n')));
    onBytes(dataFrame(3, Buffer.alloc(0), true));
    await tick();
    expect(events).toEqual(['write 0 ls\n', 'resize 120x40', 'resize 90x20', 'eof 0']);
    sent.length = 0;
    handlers!.onData(1, Buffer.from('out'), () => undefined);
    end({ exitCode: 3, byPeer: true });
    await tick();
    const frames = sent.map((b) => ({ id: b.readUInt32BE(0) & 0x7fffffff, fin: (b[4]! & 1) === 1, data: b.subarray(8).toString() }));
    expect(frames[0]).toEqual({ id: 5, fin: false, data: 'out' });
    expect(frames).toContainEqual({ id: 5, fin: true, data: '' });
    const status = frames.find((f) => f.id === 1 && f.fin)!;
    expect(JSON.parse(status.data)).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
  });
});

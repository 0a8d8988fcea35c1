/**
 * The SPDY/3.1 subset port-forward needs (hub/api/spdy-session.ts), against a client made here with
 * zlib and the spec's dictionary as spdystream makes it: SYN_STREAM headers read across one zlib
 * stream, SYN_REPLY headers the client can inflate, data frames and FIN both ways, PING echoed,
 * RST_STREAM, frames split across reads.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createSpdySession, decodeHeaders, SPDY3_DICTIONARY } from '../../../hub/api/spdy-session.js';
import { clientDeflate, control, dataFrame, synStream } from './spdy-client.js';

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('SPDY/3.1 session', () => {
  it('has the 1423-byte dictionary of the spec', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(SPDY3_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from('\0\0\0\x07options', 'latin1'));
    expect(SPDY3_DICTIONARY.subarray(-6).toString()).toBe('enq=0.');
  });

  it('reads streams, data and FIN in order, replies so the client can read it, echoes PING', async () => {
    const written: Buffer[] = [];
    const events: string[] = [];
    const s = createSpdySession({
      write: (b) => written.push(b),
      onStream: (id, h) => events.push(`stream ${id} ${h.streamtype} ${h.port} ${h.requestid}`),
      onData: (id, d) => events.push(`data ${id} ${d.toString()}`),
      onFin: (id) => events.push(`fin ${id}`),
      onReset: (id) => events.push(`reset ${id}`),
      onError: (err) => events.push(`error ${err.message}`),
    });
    const deflate = clientDeflate();
    const bytes = Buffer.concat([
      await synStream(deflate, 1, { streamtype: 'error', port: '80', requestid: '0' }),
      await synStream(deflate, 3, { streamtype: 'data', port: '80', requestid: '0' }),
      dataFrame(1, Buffer.alloc(0), true),
      dataFrame(3, Buffer.from('GET / HTTP/1.0\r\n\r\n')),
      control(6, 0, Buffer.from([0, 0, 0, 7])),
      control(3, 0, Buffer.from([0, 0, 0, 3, 0, 0, 0, 5])),
    ]);
    // split at an awkward place: frames may come in any pieces
    s.feed(bytes.subarray(0, 13));
    s.feed(bytes.subarray(13));
    await tick();
    expect(events).toEqual(['stream 1 error 80 0', 'stream 3 data 80 0', 'fin 1', 'data 3 GET / HTTP/1.0\r\n\r\n', 'reset 3']);
    expect(written).toEqual([control(6, 0, Buffer.from([0, 0, 0, 7]))]);

    written.length = 0;
    await s.reply(3);
    await s.reply(1, { note: 'x' });
    s.data(3, Buffer.from('hello'), true);
    const inflate = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
    const replies: Buffer[] = [];
    for (const f of written.slice(0, 2)) {
      expect([...f.subarray(0, 4)]).toEqual([0x80, 0x03, 0, 2]); // SYN_REPLY
      replies.push(f.subarray(12));
    }
    const blocks: Buffer[] = [];
    inflate.on('data', (c: Buffer) => blocks.push(c));
    inflate.write(Buffer.concat(replies));
    await new Promise<void>((r) => inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    await tick();
    const all = Buffer.concat(blocks);
    expect(decodeHeaders(all.subarray(0, 4))).toEqual({});
    expect(decodeHeaders(all.subarray(4))).toEqual({ note: 'x' });
    expect(written[2]).toEqual(dataFrame(3, Buffer.from('hello'), true));
  });

  it('ends the session on a version it does not serve', async () => {
    const errors: string[] = [];
    const s = createSpdySession({ write: () => undefined, onStream: () => undefined, onData: () => undefined, onFin: () => undefined, onReset: () => undefined, onError: (e) => errors.push(e.message) });
    s.feed(Buffer.from([0x80, 0x02, 0, 4, 0, 0, 0, 0]));
    await tick();
    expect(errors).toEqual(['SPDY version 2 is not served (only 3.1)']);
  });
});

/**
 * Live runtime processes (runtime-adapters/streaming-process.ts, log-tail.ts): argv quoted for
 * `script -c`, a pseudo-terminal through `script`, stdin piped, the exit code passed through, and
 * log lines stamped as the kubelet stamps them.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { stampLines } from '../../runtime-adapters/log-tail.js';
import { shellQuote, startStreamingProcess } from '../../runtime-adapters/streaming-process.js';

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    stream.on('data', (d: Buffer) => (s += d.toString()));
    stream.on('end', () => resolve(s));
  });
}

describe('streaming processes', () => {
  it('quotes argv so a shell gives back the same words', async () => {
    const argv = ['printf', '%s|', "it's", 'a b', '$HOME', '"q"', ''];
    const r = await execa('sh', ['-c', shellQuote(argv)]);
    expect(r.stdout).toBe(`it's|a b|$HOME|"q"||`);
  });

  it('pipes stdin and passes the exit code through', async () => {
    const p = startStreamingProcess('sh', ['-c', 'cat; echo err >&2; exit 5'], { stdin: true });
    p.stdin!.end('hello\n');
    const [out, err, code] = await Promise.all([readAll(p.stdout), readAll(p.stderr!), p.exited]);
    expect(out).toBe('hello\n');
    expect(err).toBe('err\n');
    expect(code).toBe(5);
  });

  it('gives the process a terminal of the size asked for with a TTY', async () => {
    const p = startStreamingProcess('sh', ['-c', 'tty; stty size'], { stdin: true, tty: { width: 99, height: 33 } });
    const [out, code] = await Promise.all([readAll(p.stdout), p.exited]);
    expect(out).toMatch(/\/dev\/pts\/\d+\r?\n33 99/);
    expect(code).toBe(0);
    // the CLI's own stderr is no part of the terminal: here, nothing
    expect(await readAll(p.stderr!)).toBe('');
  });

  it('resizes the terminal during the session: the process sees SIGWINCH and the new size', async () => {
    // the "CLI" here is dash (a name apart from script's own sh -c, as ctr and docker are): it waits for a line,
    // its WINCH trap says the signal came
    const p = startStreamingProcess('dash', ['-c', "trap 'echo winch' WINCH; stty size; read x; stty size"], { stdin: true, tty: { width: 80, height: 24 } });
    const out = readAll(p.stdout);
    expect(p.resize).toBeDefined();
    await new Promise((r) => setTimeout(r, 300));
    await p.resize!(132, 43);
    await new Promise((r) => setTimeout(r, 300));
    p.stdin!.write('go\n');
    const [text, code] = await Promise.all([out, p.exited]);
    expect(text).toMatch(/24 80\r?\n[\s\S]*winch[\s\S]*43 132/);
    expect(code).toBe(0);
  });

  it('has no resize without a TTY', () => {
    const p = startStreamingProcess('true', [], { stdin: false });
    expect(p.resize).toBeUndefined();
  });

  it("with a TTY, the CLI's own stderr comes apart from the terminal, ctr's resize pty complaint left out", async () => {
    const script = 'echo on-terminal; echo \'time="x" level=error msg="resize pty" error="cannot resize a stopped container"\' >&2; echo real error >&2';
    const p = startStreamingProcess('sh', ['-c', script], { stdin: true, tty: {} });
    const [out, err, code] = await Promise.all([readAll(p.stdout), readAll(p.stderr!), p.exited]);
    expect(out.trim()).toBe('on-terminal');
    expect(err).toBe('real error\n');
    expect(code).toBe(0);
  });

  it('stamps every line, across chunks, with an RFC 3339 time in nanoseconds', async () => {
    const t = stampLines(() => Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    const out = readAll(t);
    t.write(Buffer.from('one\ntw'));
    t.write(Buffer.from('o\n'));
    t.end();
    expect(await out).toBe('2026-01-02T03:04:05.678000000Z one\n2026-01-02T03:04:05.678000000Z two\n');
  });
});

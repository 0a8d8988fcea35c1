/**
 * The agent's end of streams (agent/link/streams.ts), wired to a hub-side endpoint in memory: exec
 * through a runtime whose execStream runs a real `sh` (stdin, stdout, stderr, the exit code),
 * port-forward to a real TCP server, logs with limitBytes, previous logs from the kept file, and the refusals (no such pod, a second
 * open of the same id ignored, more streams than allowed).
 */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamHandler, type StreamHandler } from '../../../agent/link/streams.js';
import { previousLogPath } from '../../../agent/previous-logs.js';
import { writeFileDurable } from '../../../protocol/durable-file.js';
import { encodeMessage, type StreamFrame } from '../../../protocol/messages.js';
import { silentLogger } from '../../../protocol/logger.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import { createStreamEndpoint, type StreamEnd, type StreamEndpoint, type StreamFrameBody } from '../../../protocol/stream-channel.js';
import { topics } from '../../../protocol/topics.js';
import type { ContainerInfo, ContainerRuntime } from '../../../runtime-adapters/runtime.js';
import { startStreamingProcess, type StreamingOptions, type StreamingProcess } from '../../../runtime-adapters/streaming-process.js';
import type { DesiredSet } from '../../../agent/desired-set.js';
import { PassThrough } from 'node:stream';
import { tempDir } from '../helpers.js';

const NODE = 'agent-streams';

function runtimeWith(info: ContainerInfo): ContainerRuntime {
  return {
    name: 'containerd',
    list: async (labels) => (labels?.[RUNTIME_LABELS.podName] === info.labels[RUNTIME_LABELS.podName] ? [info] : []),
    execStream: async (_id, argv, options) => startStreamingProcess(argv[0]!, argv.slice(1), options),
    logStream: async (_id, options) => startStreamingProcess('sh', ['-c', `echo 0123456789; echo more${options.follow ? '; exec sleep 30' : ''}`], { stdin: false }),
  } as Partial<ContainerRuntime> as ContainerRuntime;
}

const container: ContainerInfo = {
  id: 'c1',
  name: 'c1',
  image: 'busybox',
  state: 'running',
  ip: '127.0.0.1',
  labels: { [RUNTIME_LABELS.podName]: 'web', [RUNTIME_LABELS.podNamespace]: 'default', [RUNTIME_LABELS.podUid]: 'u1', [RUNTIME_LABELS.container]: 'main' },
};

interface HubSide {
  endpoint: StreamEndpoint;
  out: Map<number, string>;
  ready: Promise<void>;
  ended: Promise<StreamEnd>;
  upTopics: string[];
}

/** A hub-side endpoint for stream `id`, connected to `handler` both ways (delivery a tick later, as over MQTT). */
function hubSide(handler: () => StreamHandler, id: string, upTopics: string[], deliver: Map<string, (f: StreamFrame) => void>): HubSide {
  const out = new Map<number, string>();
  let ready!: () => void;
  let ended!: (e: StreamEnd) => void;
  const side: HubSide = {
    endpoint: undefined as unknown as StreamEndpoint,
    out,
    ready: new Promise((r) => (ready = r)),
    ended: new Promise((r) => (ended = r)),
    upTopics,
  };
  side.endpoint = createStreamEndpoint({
    id,
    now: Date.now,
    send: (f) => setImmediate(() => handler().handle(topics.nodeStreams(NODE), encodeMessage(f))),
    onData: (channel, data, done) => {
      out.set(channel, (out.get(channel) ?? '') + data.toString());
      done();
    },
    onReady: () => ready(),
    onClose: (e) => ended(e),
  });
  deliver.set(id, (f) => side.endpoint.receive(f));
  return side;
}

describe('agent streams', () => {
  let handler: StreamHandler;
  let server: Server | undefined;
  const deliver = new Map<string, (f: StreamFrame) => void>();
  const upTopics: string[] = [];
  function start(runtime: ContainerRuntime, maxStreams?: number, dataDir?: string, desired?: DesiredSet): void {
    handler = createStreamHandler({
      nodeName: NODE,
      runtime,
      desired: () => desired,
      publish: async (topic, frame) => {
        upTopics.push(topic);
        setImmediate(() => deliver.get(frame.stream)?.(frame));
      },
      logger: silentLogger(),
      ...(maxStreams ? { maxStreams } : {}),
      ...(dataDir ? { dataDir } : {}),
    });
  }
  afterEach(() => {
    handler?.closeAll('test over');
    server?.close();
    deliver.clear();
    upTopics.length = 0;
  });

  const open = (side: HubSide, body: Partial<Extract<StreamFrameBody, { op: 'open' }>>) =>
    side.endpoint.control({ op: 'open', kind: 'exec', namespace: 'default', pod: 'web', window: 65536, ...body } as StreamFrameBody);

  it('runs an exec with stdin piped, keeps stdout and stderr apart and ends with the exit code, on its own topic', async () => {
    start(runtimeWith(container));
    const hub = hubSide(() => handler, 'ex1', upTopics, deliver);
    open(hub, { argv: ['sh', '-c', 'cat; echo err >&2; exit 4'], stdin: true });
    await hub.ready;
    hub.endpoint.write(0, Buffer.from('typed\n'));
    hub.endpoint.eof(0);
    expect(await hub.ended).toEqual({ exitCode: 4, byPeer: true });
    expect(hub.out.get(1)).toBe('typed\n');
    expect(hub.out.get(2)).toBe('err\n');
    expect(new Set(upTopics)).toEqual(new Set([topics.nodeStream(NODE, 'ex1')]));
    expect(handler.openCount()).toBe(0);
  });

  it('attaches to a container made with stdin and a TTY: its stdin, output and every resize, one sent before the process was there too', async () => {
    const calls: { options: StreamingOptions; typed: string; sizes: string[] } = { options: { stdin: false }, typed: '', sizes: [] };
    let proc!: StreamingProcess & { stdout: PassThrough };
    let release!: () => void;
    const attached = new Promise<void>((r) => (release = r));
    const runtime = {
      ...runtimeWith(container),
      attachStream: async (_id: string, options: StreamingOptions) => {
        calls.options = options;
        await attached; // the process comes up late: a resize meanwhile must wait for it
        const stdin = new PassThrough();
        stdin.on('data', (d: Buffer) => (calls.typed += d.toString()));
        let exit!: (code: number) => void;
        proc = {
          stdin,
          stdout: new PassThrough(),
          exited: new Promise<number>((r) => (exit = r)),
          kill: () => exit(137),
          resize: async (w: number, h: number) => {
            calls.sizes.push(`${w}x${h}`);
          },
        };
        stdin.on('end', () => {
          proc.stdout.end('bye\n');
          exit(0);
        });
        return proc;
      },
    } as ContainerRuntime;
    const desired = {
      pods: [{ metadata: { name: 'web', namespace: 'default', uid: 'u1' }, spec: { containers: [{ name: 'main', image: 'busybox', stdin: true, tty: true }] } }],
    } as unknown as DesiredSet;
    start(runtime, undefined, undefined, desired);
    const hub = hubSide(() => handler, 'at1', upTopics, deliver);
    open(hub, { kind: 'attach', container: 'main', stdin: true, tty: true, width: 81, height: 25 });
    await new Promise((r) => setTimeout(r, 50));
    hub.endpoint.control({ op: 'resize', width: 80, height: 24 } as StreamFrameBody);
    await new Promise((r) => setTimeout(r, 50));
    release();
    await hub.ready;
    hub.endpoint.write(0, Buffer.from('ls\n'));
    hub.endpoint.control({ op: 'resize', width: 120, height: 40 } as StreamFrameBody);
    await new Promise((r) => setTimeout(r, 50));
    hub.endpoint.eof(0);
    expect(await hub.ended).toEqual({ byPeer: true });
    expect(calls.options).toEqual({ stdin: true, tty: { width: 81, height: 25 } });
    expect(calls.typed).toBe('ls\n');
    expect(calls.sizes).toEqual(['80x24', '120x40']);
    expect(hub.out.get(1)).toBe('bye\n');
  });

  it('ends the process when the hub closes the stream', async () => {
    start(runtimeWith(container));
    const hub = hubSide(() => handler, 'ex2', upTopics, deliver);
    open(hub, { argv: ['sleep', '30'] });
    await hub.ready;
    expect(handler.openCount()).toBe(1);
    hub.endpoint.close();
    for (let i = 0; i < 100 && handler.openCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(handler.openCount()).toBe(0);
  });

  it('forwards a port: bytes both ways to the pod address', async () => {
    server = createServer((socket) => socket.on('data', (d) => socket.end(`echo:${d.toString()}`)));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    start(runtimeWith(container));
    const hub = hubSide(() => handler, 'pf1', upTopics, deliver);
    open(hub, { kind: 'portForward', port: (server.address() as AddressInfo).port });
    await hub.ready;
    hub.endpoint.write(1, Buffer.from('ping'));
    expect(await hub.ended).toMatchObject({ byPeer: true });
    expect(hub.out.get(1)).toBe('echo:ping');
  });

  it('cuts logs at limitBytes', async () => {
    start(runtimeWith(container));
    const hub = hubSide(() => handler, 'lg1', upTopics, deliver);
    open(hub, { kind: 'logs', limitBytes: 4 });
    await hub.ready;
    await hub.ended;
    expect(hub.out.get(1)).toBe('0123');
  });

  it('streams the previous instance\'s kept log (tail, limitBytes, follow ends), or the kubelet\'s not-found', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      start(runtimeWith(container), undefined, dir);
      const none = hubSide(() => handler, 'pv0', upTopics, deliver);
      open(none, { kind: 'logs', previous: true });
      expect((await none.ended).error).toBe('previous terminated container "main" in pod "web" not found');
      await writeFileDurable(previousLogPath(dir, 'u1', 'main'), 'one\ntwo\nthree\n', { mode: 0o600 });
      const tail = hubSide(() => handler, 'pv1', upTopics, deliver);
      open(tail, { kind: 'logs', previous: true, follow: true, tailLines: 2 });
      await tail.ready;
      expect(await tail.ended).toMatchObject({ byPeer: true });
      expect(tail.out.get(1)).toBe('two\nthree\n');
      const cut = hubSide(() => handler, 'pv2', upTopics, deliver);
      open(cut, { kind: 'logs', previous: true, limitBytes: 5 });
      await cut.ended;
      expect(cut.out.get(1)).toBe('one\nt');
    } finally {
      await cleanup();
    }
  });

  it('refuses a pod it does not run, an exec in a stopped container and streams past the limit', async () => {
    start(runtimeWith({ ...container, state: 'exited' }), 1);
    const missing = hubSide(() => handler, 'no1', upTopics, deliver);
    open(missing, { pod: 'other', argv: ['true'] });
    expect((await missing.ended).error).toContain('other');
    const stopped = hubSide(() => handler, 'no2', upTopics, deliver);
    open(stopped, { argv: ['true'] });
    expect((await stopped.ended).error).toContain('it is not running (exited)');
    const logs = hubSide(() => handler, 'lg2', upTopics, deliver);
    open(logs, { kind: 'logs', follow: true });
    await logs.ready;
    const extra = hubSide(() => handler, 'no3', upTopics, deliver);
    open(extra, { kind: 'logs' });
    expect((await extra.ended).error).toContain('has 1 streams open already');
  });
});

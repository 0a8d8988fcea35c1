/**
 * The agent's end of streams (agent/link/streams.ts), wired to a hub-side endpoint in memory: exec
 * through a runtime whose execStream runs a real `sh` (stdin, stdout, stderr, the exit code),
 * port-forward to a real TCP server, logs with limitBytes, and the refusals (no such pod, a second
 * open of the same id ignored, more streams than allowed).
 */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamHandler, type StreamHandler } from '../../../agent/link/streams.js';
import { encodeMessage, type StreamFrame } from '../../../protocol/messages.js';
import { silentLogger } from '../../../protocol/logger.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import { createStreamEndpoint, type StreamEnd, type StreamEndpoint, type StreamFrameBody } from '../../../protocol/stream-channel.js';
import { topics } from '../../../protocol/topics.js';
import type { ContainerInfo, ContainerRuntime } from '../../../runtime-adapters/runtime.js';
import { startStreamingProcess } from '../../../runtime-adapters/streaming-process.js';

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
  function start(runtime: ContainerRuntime, maxStreams?: number): void {
    handler = createStreamHandler({
      nodeName: NODE,
      runtime,
      desired: () => undefined,
      publish: async (topic, frame) => {
        upTopics.push(topic);
        setImmediate(() => deliver.get(frame.stream)?.(frame));
      },
      logger: silentLogger(),
      ...(maxStreams ? { maxStreams } : {}),
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

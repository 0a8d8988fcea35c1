/** containerd-specific behaviour beyond the contract: argv semantics, ids, limits, restarts of the adapter. */
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { createContainerdRuntime } from '../../../runtime-adapters/containerd/containerd.js';
import { InvalidSpecError } from '../../../runtime-adapters/errors.js';
import type { ContainerRuntime, ContainerSpec } from '../../../runtime-adapters/runtime.js';

const IMAGE = 'drover.local/busybox:test';
const run = Math.random().toString(16).slice(2, 8);

async function waitFor<T>(probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

describe('containerd adapter', () => {
  let stateDir: string;
  let rt: ContainerRuntime;
  const ids: string[] = [];
  const spec = (name: string, extra: Partial<ContainerSpec>): ContainerSpec => ({
    name: `drover-cd-${run}-${name}`,
    image: IMAGE,
    env: {},
    ports: [],
    mounts: [],
    labels: {},
    hostNetwork: false,
    ...extra,
  });
  const exited = (id: string, r = rt) => waitFor(async () => ((await r.inspect(id)).state === 'exited' ? r.inspect(id) : undefined));

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'drover-cd-'));
    rt = createContainerdRuntime({ logger: silentLogger(), stateDir });
  });
  afterEach(async () => {
    for (const id of ids.splice(0)) await rt.remove(id);
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('command replaces the entrypoint and args the cmd (image: no ENTRYPOINT, CMD ["/bin/sh"])', async () => {
    const a = await rt.create(spec('cmdargs', { command: ['/bin/echo', 'a'], args: ['b'] }));
    ids.push(a);
    const b = await rt.create(spec('argsonly', { args: ['/bin/echo', 'only-args'] }));
    ids.push(b);
    await rt.start(a);
    await rt.start(b);
    await exited(a);
    await exited(b);
    expect(await rt.logs(a)).toBe('a b\n');
    expect(await rt.logs(b)).toBe('only-args\n');
  });

  it('sanitises names ctr would refuse, keeping the name in ContainerInfo', async () => {
    const s = spec('Odd/Name:1', { command: ['/bin/true'] });
    const id = await rt.create(s);
    ids.push(id);
    expect(id).toMatch(/^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/);
    const info = await rt.inspect(id);
    expect(info.name).toBe(s.name);
    expect(info.image).toBe(IMAGE);
    expect(Object.keys(info.labels).some((k) => k.startsWith('io.drover.containerd.'))).toBe(false);
  });

  it('applies memory and CPU limits to the OCI spec', async () => {
    const id = await rt.create(spec('limits', { command: ['/bin/true'], memoryLimitBytes: 64 * 1024 * 1024, cpuLimitMillis: 500 }));
    ids.push(id);
    const { stdout } = await execa('ctr', ['-n', 'drover', 'containers', 'info', '--spec', id]);
    const resources = JSON.parse(stdout).linux.resources;
    expect(resources.memory.limit).toBe(64 * 1024 * 1024);
    expect(resources.cpu.quota).toBe(50_000);
    expect(resources.cpu.period).toBe(100_000);
  });

  it('rejects a UDP hostPort that differs from its containerPort', async () => {
    await expect(rt.create(spec('udp', { ports: [{ containerPort: 53, hostPort: 5353, protocol: 'UDP' }] }))).rejects.toBeInstanceOf(
      InvalidSpecError,
    );
  });

  it('a TTY container started before an agent restart: the new adapter reads its console again (logs, attach, resize)', async () => {
    const id = await rt.create(spec('restart-tty', { command: ['sh', '-c', 'sleep 1; echo late-output; exec sh'], stdin: true, tty: true }));
    ids.push(id);
    // started as the previous agent would have, which then died before reading anything
    const fifoDir = join(stateDir, 'drover', id, 'fifo');
    await execa('mkdir', ['-p', fifoDir]);
    await execa('script', ['-qfec', `ctr -n drover tasks start --detach=true --fifo-dir=${fifoDir} ${id}`, '/dev/null'], { input: '' });
    await new Promise((r) => setTimeout(r, 2000)); // the task writes while no one reads
    const rt2 = createContainerdRuntime({ logger: silentLogger(), stateDir });
    expect((await rt2.inspect(id)).state).toBe('running');
    // what the shell wrote while nobody read waited in the FIFO: it is in the log now
    await waitFor(async () => ((await rt2.logs(id)).includes('late-output') ? true : undefined));
    const p = await rt2.attachStream!(id, { stdin: true, tty: { width: 70, height: 20 } });
    let screen = '';
    p.stdout.on('data', (d: Buffer) => (screen += d.toString()));
    p.stdin!.write('stty size\n');
    await waitFor(async () => (screen.includes('20 70') ? true : undefined));
    await p.resize!(99, 33);
    p.stdin!.write('stty size; echo after-$((2*3))\n');
    await waitFor(async () => (/33 99[\s\S]*after-6/.test(screen) ? true : undefined));
    p.kill(); // detaching leaves the shell running
    expect(await p.exited).toBe(0);
    expect((await rt2.inspect(id)).state).toBe('running');
    expect(await rt2.logs(id)).toContain('after-6');
    const again = await rt2.attachStream!(id, { stdin: true, tty: {} });
    again.stdin!.write('exit 5\n');
    expect(await again.exited).toBe(0);
    expect((await exited(id, rt2)).exitCode).toBe(5);
  }, 60_000);

  it('a new adapter instance (agent restart) still knows exit codes and restores port forwarders', async () => {
    const done = await rt.create(spec('restart-exit', { command: ['/bin/sh', '-c', 'exit 7'] }));
    ids.push(done);
    await rt.start(done);
    await exited(done);
    const containerPort = await freePort();
    const hostPort = await freePort();
    const web = await rt.create(
      spec('restart-web', {
        command: ['/bin/sh', '-c', `mkdir -p /w && echo restored > /w/index.html && exec httpd -f -p ${containerPort} -h /w`],
        ports: [{ containerPort, hostPort, protocol: 'TCP' }],
      }),
    );
    ids.push(web);
    await rt.start(web);
    await waitFor(async () => ((await fetch(`http://127.0.0.1:${hostPort}/`)).ok ? true : undefined));

    // The first adapter goes away (its forwarders with it); a second one over the same state takes over.
    await rt.remove(web);
    ids.splice(ids.indexOf(web), 1);
    const web2 = await rt.create(
      spec('restart-web2', {
        command: ['/bin/sh', '-c', `mkdir -p /w && echo restored > /w/index.html && exec httpd -f -p ${containerPort} -h /w`],
        ports: [{ containerPort, hostPort, protocol: 'TCP' }],
      }),
    );
    // start it with ctr directly, as if the previous agent had started it before dying
    await execa('ctr', ['-n', 'drover', 'tasks', 'start', '--detach=true', web2]);
    const rt2 = createContainerdRuntime({ logger: silentLogger(), stateDir });
    ids.push(web2);
    expect((await rt2.inspect(done)).exitCode).toBe(7);
    const listed = await rt2.list();
    expect(listed.find((c) => c.id === web2)?.state).toBe('running');
    const body = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${hostPort}/`);
      return res.ok ? res.text() : undefined;
    });
    expect(body).toBe('restored\n');
    await rt2.remove(web2);
    ids.splice(ids.indexOf(web2), 1);
  });

  it('logs carry the time the shim took each line, read back by a new adapter (agent restart)', async () => {
    const id = await rt.create(spec('cri-log', { command: ['/bin/sh', '-c', 'echo one; sleep 1.2; echo two >&2; sleep 1.2; echo three'] }));
    ids.push(id);
    const before = Date.now();
    await rt.start(id);
    await exited(id);
    const after = Date.now();
    expect(await rt.logs(id)).toBe('one\ntwo\nthree\n');
    expect(await readFile(join(stateDir, 'drover', id, 'container.log'), 'utf8')).toMatch(/^\S+ stdout F one\n\S+ stderr F two\n\S+ stdout F three\n$/);

    const rt2 = createContainerdRuntime({ logger: silentLogger(), stateDir });
    const read = async (options: { sinceMs?: number }) => {
      const proc = await rt2.logStream!(id, { follow: false, timestamps: true, ...options });
      const chunks: Buffer[] = [];
      for await (const c of proc.stdout) chunks.push(Buffer.from(c as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    };
    const lines = (await read({})).trimEnd().split('\n').map((l) => {
      const [time, text] = l.split(' ');
      return { time: Date.parse(time!), text, raw: time! };
    });
    expect(lines.map((l) => l.text)).toEqual(['one', 'two', 'three']);
    for (const l of lines) {
      expect(l.raw).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      expect(l.time).toBeGreaterThanOrEqual(before - 1000);
      expect(l.time).toBeLessThanOrEqual(after + 5000);
    }
    // the sleeps between the lines show in their times: they are the shim's, not the reader's
    expect(lines[1]!.time - lines[0]!.time).toBeGreaterThanOrEqual(1000);
    expect(lines[2]!.time - lines[1]!.time).toBeGreaterThanOrEqual(1000);
    expect(await read({ sinceMs: lines[1]!.time })).toBe(`${lines[1]!.raw} two\n${lines[2]!.raw} three\n`);
  });

  it('exec of a missing binary reports 126 with the runtime message, like docker', async () => {
    const id = await rt.create(spec('exec126', { command: ['/bin/sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"] }));
    ids.push(id);
    await rt.start(id);
    const r = await rt.exec(id, ['/bin/does-not-exist']);
    expect(r.exitCode).toBe(126);
    expect(r.stderr).toMatch(/does-not-exist/);
    const flags = await rt.exec(id, ['/bin/echo', '--cwd=x', '-t']);
    expect(flags.stdout).toBe('--cwd=x -t\n');
  });
});

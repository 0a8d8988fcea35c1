/**
 * ContainerRuntime.watch on the real daemons: a container of Drover's that starts and exits is reported,
 * an exec in a running one is not (probes would otherwise wake the agent every period), the events of other
 * namespaces or unlabelled containers are not, and stop() ends the CLI's event stream.
 */
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../protocol/logger.js';
import { createContainerdRuntime } from '../../runtime-adapters/containerd/containerd.js';
import { isContainerLifecycleEvent, parseCtrEventLine } from '../../runtime-adapters/containerd/ctr-output.js';
import { createDockerRuntime } from '../../runtime-adapters/docker/docker.js';
import type { ContainerRuntime } from '../../runtime-adapters/runtime.js';

const IMAGE = 'drover.local/busybox:test';

describe('ctr events lines', () => {
  it('parses a line and tells container lifecycle from exec and image events', () => {
    const exit = parseCtrEventLine('2026-11-24 06:04:34.260503364 +0000 UTC drover /tasks/exit {"container_id":"c1","id":"c1","pid":1}');
    expect(exit).toEqual({ namespace: 'drover', topic: '/tasks/exit', event: { container_id: 'c1', id: 'c1', pid: 1 } });
    expect(isContainerLifecycleEvent(exit!)).toBe(true);
    const execExit = parseCtrEventLine('2026-11-24 06:04:34.26 +0000 UTC drover /tasks/exit {"container_id":"c1","id":"exec-7","pid":9}');
    expect(isContainerLifecycleEvent(execExit!)).toBe(false);
    for (const topic of ['/tasks/start', '/tasks/oom', '/containers/delete']) {
      expect(isContainerLifecycleEvent(parseCtrEventLine(`d t +0000 UTC drover ${topic} {"id":"c1"}`)!)).toBe(true);
    }
    for (const topic of ['/tasks/exec-started', '/snapshot/prepare', '/images/create', '/tasks/exec-added']) {
      expect(isContainerLifecycleEvent(parseCtrEventLine(`d t +0000 UTC drover ${topic} {"id":"c1"}`)!)).toBe(false);
    }
    expect(parseCtrEventLine('garbage')).toBeUndefined();
    expect(parseCtrEventLine('d t +0000 UTC drover /tasks/exit {torn')).toBeUndefined();
  });
});

const cases: { name: string; make: (stateDir: string) => ContainerRuntime }[] = [
  { name: 'docker', make: () => createDockerRuntime({ logger: silentLogger() }) },
  { name: 'containerd', make: (stateDir) => createContainerdRuntime({ logger: silentLogger(), stateDir }) },
];

describe.each(cases)('$name watch', ({ name, make }) => {
  let stateDir = '';
  const ids: string[] = [];
  let rt: ContainerRuntime;

  afterAll(async () => {
    for (const id of ids) await rt.remove(id);
    await rm(stateDir, { recursive: true, force: true });
  });

  async function until(what: string, fn: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!fn()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('reports starts and exits of its containers, not execs, and stops', async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'drover-watch-state-'));
    rt = make(stateDir);
    const reasons: string[] = [];
    const watch = rt.watch!((r) => reasons.push(r));
    try {
      await until('the watch to start', () => reasons.length > 0);
      await new Promise((r) => setTimeout(r, 500)); // the CLI subscribes just after it starts
      const spec = (suffix: string, command: string[]) => ({
        name: `drover-watch-${name}-${suffix}-${process.pid}`,
        image: IMAGE,
        command,
        env: {},
        ports: [],
        mounts: [],
        labels: { 'io.drover.node': 'watch-test' },
        hostNetwork: true,
      });
      const long = await rt.create(spec('long', ['sleep', '300']));
      ids.push(long);
      const countAtStart = reasons.length;
      await rt.start(long);
      await until('the start event', () => reasons.length > countAtStart);

      const beforeExec = reasons.length;
      expect((await rt.exec(long, ['true'])).exitCode).toBe(0);
      const short = await rt.create(spec('short', ['sh', '-c', 'exit 3']));
      ids.push(short);
      await rt.start(short);
      await until('the short container start and exit events', () => reasons.slice(beforeExec).some((r) => /die|exit/.test(r)));
      // everything seen since the exec belongs to the short container: a start and an exit, nothing else
      expect(reasons.slice(beforeExec).every((r) => /start|die|exit/.test(r)), reasons.slice(beforeExec).join(', ')).toBe(true);
      expect(reasons.slice(beforeExec).length).toBeLessThanOrEqual(2);

      if (name === 'docker') {
        const before = reasons.length;
        await execa('docker', ['run', '--rm', IMAGE, 'true']); // no Drover label
        await new Promise((r) => setTimeout(r, 1000));
        expect(reasons.length).toBe(before);
      }
    } finally {
      watch.stop();
    }
    const after = reasons.length;
    const other = await rt.create({ ...{ name: `drover-watch-${name}-after-${process.pid}`, image: IMAGE, command: ['true'], env: {}, ports: [], mounts: [], labels: {}, hostNetwork: true } });
    ids.push(other);
    await rt.start(other);
    await new Promise((r) => setTimeout(r, 1000));
    expect(reasons.length).toBe(after);
  }, 90_000);
});

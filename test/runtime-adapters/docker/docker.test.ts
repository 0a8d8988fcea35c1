/** docker-specific behaviour beyond the contract: argv semantics, limits, OOM reason, bridge IP. */
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { createDockerRuntime } from '../../../runtime-adapters/docker/docker.js';
import { RuntimeUnavailableError } from '../../../runtime-adapters/errors.js';
import type { ContainerSpec } from '../../../runtime-adapters/runtime.js';

const IMAGE = 'drover.local/busybox:test';
const run = Math.random().toString(16).slice(2, 8);
const rt = createDockerRuntime({ logger: silentLogger() });

async function exited(id: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const info = await rt.inspect(id);
    if (info.state === 'exited') return info;
    if (Date.now() > deadline) throw new Error(`${id} did not exit`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('docker adapter', () => {
  const ids: string[] = [];
  const spec = (name: string, extra: Partial<ContainerSpec>): ContainerSpec => ({
    name: `drover-dk-${run}-${name}`,
    image: IMAGE,
    env: {},
    ports: [],
    mounts: [],
    labels: {},
    hostNetwork: false,
    ...extra,
  });
  afterEach(async () => {
    for (const id of ids.splice(0)) await rt.remove(id);
  });

  it('command replaces the entrypoint and args the cmd', async () => {
    const a = await rt.create(spec('cmdargs', { command: ['/bin/echo', 'a'], args: ['b'] }));
    ids.push(a);
    const b = await rt.create(spec('argsonly', { args: ['/bin/echo', 'only-args'] }));
    ids.push(b);
    const c = await rt.create(spec('cmdonly', { command: ['/bin/echo', 'just-command'] }));
    ids.push(c);
    for (const id of [a, b, c]) await rt.start(id);
    for (const id of [a, b, c]) await exited(id);
    expect(await rt.logs(a)).toBe('a b\n');
    expect(await rt.logs(b)).toBe('only-args\n');
    expect(await rt.logs(c)).toBe('just-command\n'); // the image CMD (/bin/sh) is not appended
  });

  it('applies limits and reports OOMKilled as the reason', async () => {
    const id = await rt.create(
      spec('oom', { command: ['/bin/sh', '-c', 'tail /dev/zero'], memoryLimitBytes: 16 * 1024 * 1024, cpuLimitMillis: 500 }),
    );
    ids.push(id);
    const { stdout } = await execa('docker', ['inspect', '--format', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}', id]);
    expect(stdout.trim()).toBe(`${16 * 1024 * 1024} 500000000`);
    await rt.start(id);
    const info = await exited(id);
    expect(info.reason).toBe('OOMKilled');
    expect(info.exitCode).toBe(137);
  });

  it('a host-network container reports a host address, a bridged one its bridge address', async () => {
    const host = await rt.create(spec('hostnet', { command: ['/bin/sleep', '30'], hostNetwork: true }));
    ids.push(host);
    const bridged = await rt.create(spec('bridged', { command: ['/bin/sleep', '30'] }));
    ids.push(bridged);
    await rt.start(host);
    await rt.start(bridged);
    const h = await rt.inspect(host);
    const b = await rt.inspect(bridged);
    expect(h.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(b.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(b.ip).not.toBe(h.ip);
  });

  it('a missing docker binary is RuntimeUnavailableError naming the package', async () => {
    const none = createDockerRuntime({ logger: silentLogger(), binary: '/nonexistent/docker' });
    await expect(none.version()).rejects.toBeInstanceOf(RuntimeUnavailableError);
    await expect(none.version()).rejects.toThrow(/docker\.io/);
  });
});

/**
 * ContainerSpec.security on both real runtimes: what the process runs as and may do, read back from inside the
 * container (/proc/1/status, id), and runAsNonRoot refused with the kubelet's words for a root image.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../protocol/logger.js';
import { createContainerdRuntime } from '../../runtime-adapters/containerd/containerd.js';
import { createDockerRuntime } from '../../runtime-adapters/docker/docker.js';
import { RunAsRootError } from '../../runtime-adapters/errors.js';
import type { ContainerRuntime, ContainerSpec } from '../../runtime-adapters/runtime.js';

const IMAGE = 'drover.local/busybox:test';

const cases: { name: string; make: (stateDir: string) => ContainerRuntime }[] = [
  { name: 'docker', make: () => createDockerRuntime({ logger: silentLogger() }) },
  { name: 'containerd', make: (stateDir) => createContainerdRuntime({ logger: silentLogger(), stateDir }) },
];

function status(text: string, field: string): string {
  return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
}

describe.each(cases)('$name: the security context', ({ name, make }) => {
  const created: string[] = [];
  let rt: ContainerRuntime;
  let stateDir = '';
  const spec = (suffix: string, security: ContainerSpec['security']): ContainerSpec => ({
    name: `drover-secctx-${name}-${suffix}-${process.pid}`,
    image: IMAGE,
    command: ['sleep', '600'],
    env: {},
    ports: [],
    mounts: [],
    labels: { 'io.drover.test': 'security-context' },
    hostNetwork: true,
    ...(security ? { security } : {}),
  });

  afterAll(async () => {
    for (const id of created) await rt?.remove(id).catch(() => undefined);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('restricted: uid 1000, groups, no capabilities, no_new_privs, seccomp filter, read-only root', async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'drover-secctx-'));
    rt = make(stateDir);
    const id = await rt.create(
      spec('restricted', {
        runAsUser: 1000,
        runAsGroup: 3000,
        supplementalGroups: [4000],
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccomp: { type: 'RuntimeDefault' },
        readOnlyRootFilesystem: true,
      }),
    );
    created.push(id);
    await rt.start(id);
    const st = (await rt.exec(id, ['cat', '/proc/1/status'])).stdout;
    expect(status(st, 'Uid').split(/\s+/)[0]).toBe('1000');
    expect(status(st, 'Gid').split(/\s+/)[0]).toBe('3000');
    expect(status(st, 'Groups').split(/\s+/)).toContain('4000');
    expect(status(st, 'NoNewPrivs')).toBe('1');
    expect(status(st, 'CapEff')).toBe('0000000000000000');
    expect(status(st, 'CapBnd')).toBe('0000000000000000');
    expect(status(st, 'Seccomp')).toBe('2');
    expect((await rt.exec(id, ['id', '-u'])).stdout.trim()).toBe('1000');
    const touch = await rt.exec(id, ['touch', '/probe']);
    expect(touch.exitCode).not.toBe(0);
    expect(touch.stderr).toMatch(/Read-only file system/);
  });

  it('unset: the image user (root) and the default capabilities; add NET_BIND_SERVICE after drop ALL gives that one', async () => {
    const id = await rt.create(spec('caps', { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, allowPrivilegeEscalation: true }));
    created.push(id);
    await rt.start(id);
    const st = (await rt.exec(id, ['cat', '/proc/1/status'])).stdout;
    expect(status(st, 'Uid').split(/\s+/)[0]).toBe('0');
    expect(status(st, 'CapEff')).toBe('0000000000000400'); // bit 10: CAP_NET_BIND_SERVICE
    expect(status(st, 'NoNewPrivs')).toBe('0');
  });

  it("runAsNonRoot with the image's root user is refused with the kubelet's words, and nothing is left", async () => {
    const err = await rt.create(spec('nonroot', { runAsNonRoot: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunAsRootError);
    expect((err as RunAsRootError).reason).toBe('container has runAsNonRoot and image will run as root');
    const err0 = await rt.create(spec('uid0', { runAsNonRoot: true, runAsUser: 0 })).catch((e: unknown) => e);
    expect((err0 as RunAsRootError).reason).toBe("container's runAsUser breaks non-root policy");
    expect((await rt.list({ 'io.drover.test': 'security-context' })).map((c) => c.name).filter((n) => n.includes('nonroot') || n.includes('uid0'))).toEqual([]);
  });
});

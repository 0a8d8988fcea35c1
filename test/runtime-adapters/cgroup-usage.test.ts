import { execa } from 'execa';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupLayout, parseFlatKeyed, readCgroupUsage } from '../../runtime-adapters/cgroup-usage.js';
import { createRuntime } from '../../runtime-adapters/index.js';
import { silentLogger } from '../../protocol/logger.js';

const dirs: string[] = [];
async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'drover-cgroup-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe('cgroup usage of a container', () => {
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('parses flat keyed files', () => {
    expect(parseFlatKeyed('usage_usec 1500\nuser_usec 1000\n\nbad\n')).toEqual(new Map([['usage_usec', 1500], ['user_usec', 1000]]));
  });

  it('reads cgroup v2: cpu.stat usage_usec and memory.current less inactive_file', async () => {
    const root = await tree({
      'cgroup.controllers': 'cpu memory',
      'system.slice/docker-abc.scope/cpu.stat': 'usage_usec 2500\nuser_usec 2000\n',
      'system.slice/docker-abc.scope/memory.current': '10485760\n',
      'system.slice/docker-abc.scope/memory.stat': 'anon 1\ninactive_file 1048576\n',
    });
    expect(await cgroupLayout(root)).toBe('v2');
    expect(await readCgroupUsage(['docker/abc', 'system.slice/docker-abc.scope'], { root })).toEqual({ cpuUsageNanos: 2_500_000, memoryWorkingSetBytes: 9 * 1024 * 1024 });
  });

  it('reads cgroup v1: cpuacct.usage and memory.usage_in_bytes less total_inactive_file; none found is undefined', async () => {
    const root = await tree({
      'cpuacct/drover/c1/cpuacct.usage': '123456789\n',
      'memory/drover/c1/memory.usage_in_bytes': '4194304\n',
      'memory/drover/c1/memory.stat': 'cache 0\ntotal_inactive_file 4096\n',
    });
    expect(await cgroupLayout(root)).toBe('v1');
    expect(await readCgroupUsage(['drover/c1'], { root })).toEqual({ cpuUsageNanos: 123456789, memoryWorkingSetBytes: 4194304 - 4096 });
    expect(await readCgroupUsage(['drover/missing'], { root })).toBeUndefined();
  });

  it("reads a real Docker container's cgroup through the adapter's cgroupPaths", async () => {
    const runtime = await createRuntime('docker', { logger: silentLogger() });
    const { stdout: id } = await execa('docker', ['run', '-d', '--label', 'drover.test=cgroup-usage', 'drover.local/busybox:test', 'sh', '-c', 'head -c 3000000 /dev/zero > /dev/shm/fill; sleep 60']);
    try {
      let usage;
      for (let i = 0; i < 50 && !(usage && usage.memoryWorkingSetBytes > 3_000_000); i++) {
        usage = await readCgroupUsage(runtime.cgroupPaths!(id.trim()));
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(usage?.memoryWorkingSetBytes).toBeGreaterThan(3_000_000);
      expect(usage?.cpuUsageNanos).toBeGreaterThan(0);
    } finally {
      await execa('docker', ['rm', '-f', id.trim()], { reject: false });
    }
  });

  it("reads a real containerd container's cgroup (ctr's NAMESPACE/ID) through the adapter's cgroupPaths", async () => {
    const runtime = await createRuntime('containerd', { logger: silentLogger() });
    const id = `drover-cgroup-test-${process.pid}`;
    await execa('ctr', ['-n', 'drover', 'run', '-d', '--label', 'drover.test=cgroup-usage', 'drover.local/busybox:test', id, 'sh', '-c', 'head -c 3000000 /dev/zero > /dev/shm/fill; sleep 60']);
    try {
      let usage;
      for (let i = 0; i < 50 && !(usage && usage.memoryWorkingSetBytes > 3_000_000); i++) {
        usage = await readCgroupUsage(runtime.cgroupPaths!(id));
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(usage?.memoryWorkingSetBytes).toBeGreaterThan(3_000_000);
      expect(usage?.cpuUsageNanos).toBeGreaterThan(0);
    } finally {
      await execa('ctr', ['-n', 'drover', 'task', 'kill', '-s', 'SIGKILL', id], { reject: false });
      await new Promise((r) => setTimeout(r, 300));
      await execa('ctr', ['-n', 'drover', 'task', 'rm', '-f', id], { reject: false });
      await execa('ctr', ['-n', 'drover', 'containers', 'rm', id], { reject: false });
    }
  });
});

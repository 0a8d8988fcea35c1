/**
 * Environment values stay off the runtime CLI's command line: unit tests of the split (docker's env file), and
 * both real adapters run with a runner that records every argument list, checking the container still gets
 * the values exactly, multi-line ones included (docker: env file + the CLI's environment; containerd: the spec
 * through containerd's API, no env flag at all).
 */
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../protocol/logger.js';
import { createContainerdRuntime } from '../../runtime-adapters/containerd/containerd.js';
import { createDockerRuntime } from '../../runtime-adapters/docker/docker.js';
import { splitEnvForFile, withEnvFile } from '../../runtime-adapters/env-file.js';
import { createExecaRunner, type ProcessRunner } from '../../runtime-adapters/process-runner.js';
import type { ContainerRuntime } from '../../runtime-adapters/runtime.js';

const IMAGE = 'drover.local/busybox:test';
const SECRET = `hunter2-${Math.random().toString(16).slice(2, 10)}`;

describe('splitEnvForFile', () => {
  it('puts one-line values in the file and keeps only what a line-based file cannot carry inline', () => {
    expect(splitEnvForFile({ A: 'x y', B: 'k=v', C: ' padded ', M: 'line1\nline2', '#weird': '1', 'a b': '2', 'x#y': '3' })).toEqual({
      fileLines: ['A=x y', 'B=k=v', 'C= padded ', 'x#y=3'],
      inline: { M: 'line1\nline2', '#weird': '1', 'a b': '2' },
    });
  });
});

describe('withEnvFile', () => {
  it('writes a 0600 file in a private directory and removes it afterwards, also when fn throws', async () => {
    let seen = '';
    await withEnvFile({ A: '1' }, async (path) => {
      seen = path!;
      expect((await stat(path!)).mode & 0o777).toBe(0o600);
      expect((await stat(join(path!, '..'))).mode & 0o777).toBe(0o700);
    });
    await expect(stat(seen)).rejects.toThrow();
    await expect(withEnvFile({ A: '1' }, async (path) => {
      seen = path!;
      throw new Error('boom');
    })).rejects.toThrow('boom');
    await expect(stat(seen)).rejects.toThrow();
  });

  it('makes no file when there is nothing for it', async () => {
    await withEnvFile({ M: 'a\nb' }, async (path, inline) => {
      expect(path).toBeUndefined();
      expect(inline).toEqual({ M: 'a\nb' });
    });
  });
});

function recordingRunner(): { run: ProcessRunner; argv: string[][] } {
  const real = createExecaRunner();
  const argv: string[][] = [];
  return {
    argv,
    run: (file, args, options) => {
      argv.push([file, ...args]);
      return real(file, args, options);
    },
  };
}

const cases: { name: string; make: (run: ProcessRunner, stateDir: string) => ContainerRuntime }[] = [
  { name: 'docker', make: (run) => createDockerRuntime({ logger: silentLogger(), run }) },
  { name: 'containerd', make: (run, stateDir) => createContainerdRuntime({ logger: silentLogger(), run, stateDir }) },
];

describe.each(cases)('$name: env values reach the container but not the command line', ({ name, make }) => {
  const created: string[] = [];
  let rt: ContainerRuntime | undefined;
  let stateDir = '';

  afterAll(async () => {
    for (const id of created) await rt?.remove(id);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('passes secret-like values, multi-line ones included, with none on any command line', async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'drover-envfile-state-'));
    const rec = recordingRunner();
    rt = make(rec.run, stateDir);
    const id = await rt.create({
      name: `drover-envfile-${name}-${process.pid}`,
      image: IMAGE,
      command: ['sh', '-c', 'echo "[$DB_PASSWORD]"; echo "[$WITH_EQ]"; echo "[$MULTI]"; echo "[$CR]"'],
      env: { DB_PASSWORD: SECRET, WITH_EQ: 'a=b c', MULTI: `one-${SECRET}\ntwo`, CR: 'x\ry' },
      ports: [],
      mounts: [],
      labels: {},
      hostNetwork: true,
    });
    created.push(id);
    await rt.start(id);
    let info = await rt.inspect(id);
    for (let i = 0; i < 100 && info.state !== 'exited'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      info = await rt.inspect(id);
    }
    expect(info.state).toBe('exited');
    expect((await rt.logs(id)).split('\n').slice(0, 5)).toEqual([`[${SECRET}]`, '[a=b c]', `[one-${SECRET}`, 'two]', '[x\ry]']);
    const createCall = rec.argv.find((a) => a.includes('create')) ?? [];
    const flag = createCall.findIndex((a) => a.startsWith('--env-file'));
    if (name === 'docker') {
      // docker: one-line values in a 0600 env file (gone now), the rest named by --env NAME and read from the CLI's environment
      expect(flag).toBeGreaterThan(0);
      const envFile = createCall[flag]!.includes('=') ? createCall[flag]!.split('=')[1]! : createCall[flag + 1]!;
      await expect(stat(envFile)).rejects.toThrow(/ENOENT/);
    } else {
      // containerd: no env flag at all, the values went into the spec over containerd's socket
      expect(createCall.some((a) => a.startsWith('--env'))).toBe(false);
    }
    expect(rec.argv.flat().join(' ')).not.toContain(SECRET);
    expect(rec.argv.flat().join(' ')).not.toContain('x\ry');
  });
});

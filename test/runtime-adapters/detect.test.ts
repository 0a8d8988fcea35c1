import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../protocol/logger.js';
import { RuntimeNotFoundError } from '../../runtime-adapters/errors.js';
import { createRuntime, detectRuntime, requireRuntime } from '../../runtime-adapters/index.js';

const log = silentLogger();
const noContainerd = '/nonexistent/containerd.sock';
const noDocker = 'unix:///nonexistent/docker.sock';

describe('detectRuntime', () => {
  it('prefers containerd when its socket answers', async () => {
    expect(await detectRuntime(log)).toBe('containerd');
  });

  it('falls back to docker, then to nothing', async () => {
    expect(await detectRuntime(log, { containerdAddress: noContainerd })).toBe('docker');
    expect(await detectRuntime(log, { containerdAddress: noContainerd, dockerHost: noDocker })).toBeUndefined();
  });

  it('requireRuntime says exactly how to install one', async () => {
    const err = await requireRuntime(log, { containerdAddress: noContainerd, dockerHost: noDocker }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeNotFoundError);
    expect((err as Error).message).toContain('apt-get install -y containerd runc');
    expect((err as RuntimeNotFoundError).code).toBe('ERUNTIME_NOT_FOUND');
  });
});

describe('createRuntime', () => {
  it('builds the named adapter', async () => {
    expect((await createRuntime('docker', { logger: log })).name).toBe('docker');
    expect((await createRuntime('containerd', { logger: log })).name).toBe('containerd');
    const fake = await createRuntime('fake', { logger: log });
    expect(await fake.version()).toMatch(/^fake:\/\//);
    expect(await (await createRuntime('docker', { logger: log })).version()).toMatch(/^docker:\/\/\d/);
  });
});

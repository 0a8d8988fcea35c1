/**
 * runtime-adapters: the ContainerRuntime contract and its docker, containerd and fake adapters.
 * An agent uses one runtime for its lifetime, so the adapters are loaded on demand (dynamic import):
 * `createRuntime('docker')` never loads the containerd or fake adapter's modules. Each factory is
 * imported from its own folder (`./docker/docker.js`, ...) by code that wants it directly.
 */
import type { Logger } from '../protocol/logger.js';
import type { ContainerdRuntimeOptions } from './containerd/containerd.js';
import type { DockerRuntimeOptions } from './docker/docker.js';
import type { ContainerRuntime, RuntimeName } from './runtime.js';

export * from './runtime.js';
export * from './errors.js';
export { hubImageRef, type HubImageSource } from './hub-images.js';
export { readCgroupUsage, cgroupLayout, type CgroupUsage, type CgroupLayout } from './cgroup-usage.js';
export type { ProcessRunner, ProcessResult, RunOptions } from './process-runner.js';
export type { DockerRuntimeOptions } from './docker/docker.js';
export type { ContainerdRuntimeOptions } from './containerd/containerd.js';
export type { FakeRuntime, FakeRuntimeHooks, FakeRuntimeOptions } from './fake/fake.js';
export { detectRuntime, requireRuntime, type DetectOptions } from './detect.js';

export const conformsTo = 'ContainerRuntime/v1';

/** Options createRuntime passes on: the logger, plus whatever the chosen adapter takes. */
export type CreateRuntimeOptions = { logger: Logger } & Partial<Omit<DockerRuntimeOptions, 'logger' | 'binary'>> &
  Partial<Omit<ContainerdRuntimeOptions, 'logger' | 'binary'>>;

/** The adapter for `name`, loading only that adapter's modules. */
export async function createRuntime(name: RuntimeName, opts: CreateRuntimeOptions): Promise<ContainerRuntime> {
  switch (name) {
    case 'docker': {
      const { createDockerRuntime } = await import('./docker/docker.js');
      return createDockerRuntime({
        logger: opts.logger,
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.run ? { run: opts.run } : {}),
      });
    }
    case 'containerd': {
      const { createContainerdRuntime } = await import('./containerd/containerd.js');
      return createContainerdRuntime({
        logger: opts.logger,
        ...(opts.namespace ? { namespace: opts.namespace } : {}),
        ...(opts.address ? { address: opts.address } : {}),
        ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
        ...(opts.run ? { run: opts.run } : {}),
        ...(opts.clock ? { clock: opts.clock } : {}),
      });
    }
    case 'fake': {
      const { createFakeRuntime } = await import('./fake/fake.js');
      return createFakeRuntime({ logger: opts.logger, ...(opts.clock ? { clock: opts.clock } : {}) });
    }
  }
}

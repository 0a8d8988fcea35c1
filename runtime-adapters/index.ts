/** runtime-adapters: the ContainerRuntime contract and its docker, containerd and fake adapters. */
import type { Logger } from '../protocol/logger.js';
import { createContainerdRuntime, type ContainerdRuntimeOptions } from './containerd/containerd.js';
import { createDockerRuntime, type DockerRuntimeOptions } from './docker/docker.js';
import { createFakeRuntime } from './fake/fake.js';
import type { ContainerRuntime, RuntimeName } from './runtime.js';

export * from './runtime.js';
export * from './errors.js';
export type { ProcessRunner, ProcessResult, RunOptions } from './process-runner.js';
export { createExecaRunner } from './process-runner.js';
export { createDockerRuntime, type DockerRuntimeOptions } from './docker/docker.js';
export { createContainerdRuntime, type ContainerdRuntimeOptions } from './containerd/containerd.js';
export { createFakeRuntime, type FakeRuntime, type FakeRuntimeHooks, type FakeRuntimeOptions } from './fake/fake.js';
export { detectRuntime, requireRuntime, type DetectOptions } from './detect.js';
export { sanitiseContainerId, normaliseImageRef } from './containerd/names.js';

export const conformsTo = 'ContainerRuntime/v1';

/** Options createRuntime passes on: the logger, plus whatever the chosen adapter takes. */
export type CreateRuntimeOptions = { logger: Logger } & Partial<Omit<DockerRuntimeOptions, 'logger' | 'binary'>> &
  Partial<Omit<ContainerdRuntimeOptions, 'logger' | 'binary'>>;

export function createRuntime(name: RuntimeName, opts: CreateRuntimeOptions): ContainerRuntime {
  switch (name) {
    case 'docker':
      return createDockerRuntime({
        logger: opts.logger,
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.run ? { run: opts.run } : {}),
      });
    case 'containerd':
      return createContainerdRuntime({
        logger: opts.logger,
        ...(opts.namespace ? { namespace: opts.namespace } : {}),
        ...(opts.address ? { address: opts.address } : {}),
        ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
        ...(opts.run ? { run: opts.run } : {}),
        ...(opts.clock ? { clock: opts.clock } : {}),
      });
    case 'fake':
      return createFakeRuntime({ logger: opts.logger, ...(opts.clock ? { clock: opts.clock } : {}) });
  }
}

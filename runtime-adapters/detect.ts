import type { Logger } from '../protocol/logger.js';
import { RuntimeNotFoundError } from './errors.js';
import type { ProcessRunner } from './process-runner.js';
import type { ContainerRuntime, RuntimeName } from './runtime.js';

export interface DetectOptions {
  run?: ProcessRunner;
  /** containerd socket to probe; default ctr's own. */
  containerdAddress?: string;
  /** docker daemon to probe (docker -H); default the CLI's own. */
  dockerHost?: string;
}

/**
 * Which runtime answers on this machine: containerd if `ctr version` reaches its socket, else docker if
 * `docker version` reaches the daemon, else undefined. Each adapter is loaded only when it is tried.
 */
export async function detectRuntime(logger: Logger, opts: DetectOptions = {}): Promise<RuntimeName | undefined> {
  const log = logger.child({ component: 'runtime-detect' });
  const candidates: [RuntimeName, () => Promise<ContainerRuntime>][] = [
    [
      'containerd',
      async () =>
        (await import('./containerd/containerd.js')).createContainerdRuntime({
          logger,
          connectTimeoutSeconds: 3,
          ...(opts.run ? { run: opts.run } : {}),
          ...(opts.containerdAddress ? { address: opts.containerdAddress } : {}),
        }),
    ],
    [
      'docker',
      async () =>
        (await import('./docker/docker.js')).createDockerRuntime({
          logger,
          ...(opts.run ? { run: opts.run } : {}),
          ...(opts.dockerHost ? { host: opts.dockerHost } : {}),
        }),
    ],
  ];
  for (const [name, load] of candidates) {
    try {
      const runtime = await load();
      const version = await runtime.version();
      log.info({ runtime: name, version }, 'container runtime found');
      return name;
    } catch (err) {
      log.debug({ err, runtime: name }, 'container runtime does not answer');
    }
  }
  return undefined;
}

/** detectRuntime, but a machine without a runtime is a RuntimeNotFoundError that says how to install one. */
export async function requireRuntime(logger: Logger, opts: DetectOptions = {}): Promise<RuntimeName> {
  const name = await detectRuntime(logger, opts);
  if (!name) throw new RuntimeNotFoundError('neither `ctr version` nor `docker version` reached a daemon');
  return name;
}

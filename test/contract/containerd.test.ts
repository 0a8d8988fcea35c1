import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { kubernetesArch } from '../../agent/host/machine.js';
import { silentLogger } from '../../protocol/logger.js';
import { createContainerdRuntime, conformsTo } from '../../runtime-adapters/containerd/containerd.js';
import { busyboxWorkloads, describeRuntimeContract } from './runtime-contract.js';

const IMAGE = 'drover.local/busybox:test';
const NAMESPACE = 'drover';

it('containerd adapter declares conformance', () => {
  expect(conformsTo).toBe('ContainerRuntime/v1');
});

describeRuntimeContract('containerd', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'drover-ctr-state-'));
  return {
    runtime: createContainerdRuntime({ logger: silentLogger(), namespace: NAMESPACE, stateDir }),
    image: IMAGE,
    imagePlatforms: [`linux/${kubernetesArch(process.arch)}`],
    workloads: busyboxWorkloads(),
    async createForeignContainer(name) {
      await execa('ctr', ['-n', NAMESPACE, 'run', '--detach', '--net-host', IMAGE, name, '/bin/sleep', '60']);
      return async () => {
        await execa('ctr', ['-n', NAMESPACE, 'tasks', 'kill', '--signal=SIGKILL', name], { reject: false });
        await execa('ctr', ['-n', NAMESPACE, 'tasks', 'delete', '--force=true', name], { reject: false });
        await execa('ctr', ['-n', NAMESPACE, 'containers', 'delete', name]);
      };
    },
    unavailableRuntime: () =>
      createContainerdRuntime({
        logger: silentLogger(),
        address: '/nonexistent/drover-containerd.sock',
        stateDir,
        connectTimeoutSeconds: 1,
      }),
    close: () => rm(stateDir, { recursive: true, force: true }),
  };
});

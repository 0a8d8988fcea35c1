import { execa } from 'execa';
import { kubernetesArch } from '../../agent/host/machine.js';
import { silentLogger } from '../../protocol/logger.js';
import { createDockerRuntime, conformsTo } from '../../runtime-adapters/docker/docker.js';
import { busyboxWorkloads, describeRuntimeContract } from './runtime-contract.js';
import { expect, it } from 'vitest';

const IMAGE = 'drover.local/busybox:test';

it('docker adapter declares conformance', () => {
  expect(conformsTo).toBe('ContainerRuntime/v1');
});

describeRuntimeContract('docker', async () => ({
  runtime: createDockerRuntime({ logger: silentLogger() }),
  image: IMAGE,
  imagePlatforms: [`linux/${kubernetesArch(process.arch)}`],
  workloads: busyboxWorkloads(),
  async createForeignContainer(name) {
    await execa('docker', ['run', '-d', '--name', name, IMAGE, '/bin/sh', '-c', 'sleep 60']);
    return async () => {
      await execa('docker', ['rm', '-f', name]);
    };
  },
  unavailableRuntime: () => createDockerRuntime({ logger: silentLogger(), host: 'unix:///nonexistent/drover-docker.sock' }),
}));

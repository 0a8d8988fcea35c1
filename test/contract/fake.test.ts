import { expect, it } from 'vitest';
import { createFakeRuntime, conformsTo, type FakeRuntime } from '../../runtime-adapters/fake/fake.js';
import { describeRuntimeContract, type Workloads } from './runtime-contract.js';

const IMAGE = 'drover.local/busybox:test';

/** The fake's own command language (see runtime-adapters/fake/fake.ts). */
const fakeWorkloads: Workloads = {
  printAndExit: (lines, code) => ({ command: ['fake', 'exit', String(code), ...lines] }),
  trapTerm: () => ({ command: ['fake', 'trap-term'] }),
  ignoreTerm: () => ({ command: ['fake', 'ignore-term'] }),
  httpServer: (port, body) => ({ command: ['fake', 'http', String(port), body] }),
  printEnvCwdFile: (name, file) => ({ command: ['fake', 'print-env', name, file] }),
  execScript: (out, err, code) => ['fake-exec', out, err, String(code)],
};

it('fake adapter declares conformance', () => {
  expect(conformsTo).toBe('ContainerRuntime/v1');
});

let fake: FakeRuntime;
describeRuntimeContract('fake', async () => {
  fake = createFakeRuntime({ images: [IMAGE], imagePlatforms: { [IMAGE]: ['linux/arm64'] } });
  return {
    runtime: fake,
    image: IMAGE,
    imagePlatforms: ['linux/arm64'],
    workloads: fakeWorkloads,
    // The fake has no containers but its own: a foreign one is simply one it never made.
    createForeignContainer: async () => async () => undefined,
    unavailableRuntime: () => {
      const down = createFakeRuntime({ images: [IMAGE] });
      down.hooks.setUnavailable(true);
      return down;
    },
    close: () => fake.close(),
  };
});

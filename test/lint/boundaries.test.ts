/** The import boundaries of DESIGN.md are a lint rule: prove it fires (and stays quiet for allowed imports). */
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: resolve(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['hub/api/x.ts', "import { createAgent } from '../../agent/agent.js';\nexport const a = createAgent;\n"],
    ['hub/x.ts', "import { createDockerRuntime } from '../runtime-adapters/docker.js';\nexport const a = createDockerRuntime;\n"],
    ['agent/x.ts', "import { createHub } from '../hub/hub.js';\nexport const a = createHub;\n"],
    ['protocol/x.ts', "import { createHub } from '../hub/hub.js';\nexport const a = createHub;\n"],
    ['runtime-adapters/x.ts', "import { createAgent } from '../agent/agent.js';\nexport const a = createAgent;\n"],
  ])('%s may not import across the boundary', async (file, source) => {
    expect((await boundaryErrors(file, source)).join('\n')).toMatch(/must not import/);
  });

  it.each([
    ['agent/link/x.ts', "import { createReconciler } from '../pods/reconciler.js';\nexport const a = createReconciler;\n", /agent\/link\/ must not import agent\/pods\//],
    ['agent/pods/x.ts', "import { createNodeConnection } from '../link/connection.js';\nexport const a = createNodeConnection;\n", /agent\/pods\/ must not import agent\/link\//],
    ['agent/pods/probes/x.ts', "import type { Credentials } from '../../link/join.js';\nexport type A = Credentials;\n", /agent\/pods\/ must not import agent\/link\//],
    ['agent/host/x.ts', "import { podUid } from '../pods/pod-runtime.js';\nexport const a = podUid;\n", /agent\/host\/ must not import agent\/pods\//],
    ['agent/host/x.ts', "import { AGENT_VERSION } from '../link/node-status.js';\nexport const a = AGENT_VERSION;\n", /agent\/host\/ must not import agent\/link\//],
    ['agent/link/x.ts', "import { createAgent } from '../agent.js';\nexport const a = createAgent;\n", /composition root/],
    ['agent/sim/x.ts', "import { computePodStatus } from '../pods/pod-status.js';\nexport const a = computePodStatus;\n", /agent\/sim\/ must not import agent\/pods\//],
    ['agent/sim/x.ts', "import { createAgent } from '../agent.js';\nexport const a = createAgent;\n", /composition root/],
    ['agent/link/x.ts', "import { createSimFleet } from '../sim/fleet.js';\nexport const a = createSimFleet;\n", /agent\/link\/ must not import agent\/sim\//],
    ['agent/pods/x.ts', "import { simPodStatus } from '../sim/pod-lifecycle.js';\nexport const a = simPodStatus;\n", /agent\/pods\/ must not import agent\/sim\//],
    ['agent/network/x.ts', "import { createReconciler } from '../pods/reconciler.js';\nexport const a = createReconciler;\n", /agent\/network\/ must not import agent\/pods\//],
    ['agent/network/x.ts', "import { createNodeConnection } from '../link/connection.js';\nexport const a = createNodeConnection;\n", /agent\/network\/ must not import agent\/link\//],
    ['agent/network/x.ts', "import { createAgent } from '../agent.js';\nexport const a = createAgent;\n", /composition root/],
    ['agent/network/x.ts', "import { createHub } from '../../hub/hub.js';\nexport const a = createHub;\n", /agent\/ must not import hub\//],
    ['agent/pods/x.ts', "import { createNodeNetwork } from '../network/node-network.js';\nexport const a = createNodeNetwork;\n", /agent\/pods\/ must not import agent\/network\//],
    ['agent/link/x.ts', "import { createNodeNetwork } from '../network/node-network.js';\nexport const a = createNodeNetwork;\n", /agent\/link\/ must not import agent\/network\//],
    ['agent/host/x.ts', "import { createNodeNetwork } from '../network/node-network.js';\nexport const a = createNodeNetwork;\n", /agent\/host\/ must not import agent\/network\//],
    ['agent/link/x.ts', "import { createHub } from '../../hub/hub.js';\nexport const a = createHub;\n", /agent\/ must not import hub\//],
    ['runtime-adapters/docker/x.ts', "import { createCtr } from '../containerd/ctr.js';\nexport const a = createCtr;\n", /runtime-adapters\/docker\/ must not import runtime-adapters\/containerd\//],
    ['runtime-adapters/containerd/x.ts', "import { createFakeRuntime } from '../fake/fake.js';\nexport const a = createFakeRuntime;\n", /must not import runtime-adapters\/fake\//],
    ['runtime-adapters/fake/x.ts', "import { createAgent } from '../../agent/agent.js';\nexport const a = createAgent;\n", /runtime-adapters\/ must not import agent\//],
  ])('%s: a wrong import inside agent/ or runtime-adapters/ fails lint', async (file, source, message) => {
    expect((await boundaryErrors(file, source)).join('\n')).toMatch(message);
  });

  it.each([
    ['agent/link/x.ts', "import { podUid, type DesiredSet } from '../desired-set.js';\nexport type A = DesiredSet;\nexport const a = podUid;\n"],
    ['agent/link/x.ts', "import type { NodeFacts } from '../host/collector.js';\nexport type A = NodeFacts;\n"],
    ['agent/pods/probes/x.ts', "import { ContainerConfigError } from '../../errors.js';\nexport const a = ContainerConfigError;\n"],
    ['agent/sim/x.ts', "import { createNodeConnection } from '../link/connection.js';\nimport type { NodeFacts } from '../host/collector.js';\nimport { podUid } from '../desired-set.js';\nexport type A = NodeFacts;\nexport const a = [createNodeConnection, podUid];\n"],
    ['agent/network/x.ts', "import type { PodSandboxes } from '../pod-sandbox.js';\nimport { createExecaRunner } from '../../runtime-adapters/process-runner.js';\nimport { topics } from '../../protocol/topics.js';\nexport type A = PodSandboxes;\nexport const a = [createExecaRunner, topics];\n"],
    ['agent/pods/x.ts', "import { NO_POD_NETWORK } from '../pod-sandbox.js';\nexport const a = NO_POD_NETWORK;\n"],
    ['agent/agent.ts', "import { createNodeNetwork } from './network/node-network.js';\nexport const a = createNodeNetwork;\n"],
    ['agent/agent.ts', "import { createReconciler } from './pods/reconciler.js';\nimport { createNodeConnection } from './link/connection.js';\nexport const a = [createReconciler, createNodeConnection];\n"],
    ['runtime-adapters/docker/x.ts', "import { createRuntimeCli } from '../runtime-cli.js';\nexport const a = createRuntimeCli;\n"],
    ['runtime-adapters/index.ts', "import { createCtr } from './containerd/ctr.js';\nimport { dockerCreateArgs } from './docker/create-args.js';\nexport const a = [createCtr, dockerCreateArgs];\n"],
  ])('%s may import the shared parts of its folder', async (file, source) => {
    expect(await boundaryErrors(file, source)).toEqual([]);
  });

  it.each([
    ['hub/store/x.ts', "import { createEventRecorder } from '../events/recorder.js';\nexport const a = createEventRecorder;\n", 'hub/store/ must not import events/'],
    ['hub/fleet/x.ts', "import { createNodeHealth } from '../controllers/node-lifecycle/node-health.js';\nexport const a = createNodeHealth;\n", 'hub/fleet/ must not import controllers/'],
    ['hub/controllers/x.ts', "import { createSchedulerRunner } from '../scheduler/runner.js';\nexport const a = createSchedulerRunner;\n", 'hub/controllers/ must not import scheduler/'],
    ['hub/events/x.ts', "import { createNodeLeases } from '../leases/index.js';\nexport const a = createNodeLeases;\n", 'hub/events/ must not import leases/'],
    ['hub/placement/filters/x.ts', "import { createApiServer } from '../../api/index.js';\nexport const a = createApiServer;\n", 'hub/placement/ must not import api/'],
    ['hub/cli/commands/x.ts', "import { podDisplayStatus } from '../../api/status-page.js';\nexport const a = podDisplayStatus;\n", 'hub/cli/ must not import api/'],
    ['hub/cli/x.ts', "import type { Store } from '../store/store.js';\nexport type A = Store;\n", 'hub/cli/ must not import store/'],
    ['hub/api/x.ts', "import { createHub } from '../hub.js';\nexport const a = createHub;\n", ''],
    ['hub/x.ts', "import { runCli } from './cli/program.js';\nexport const a = runCli;\n", 'hub/ must not import cli/'],
    ['hub/fleet/x.ts', "import { createAgent } from '../../agent/agent.js';\nexport const a = createAgent;\n", 'hub/fleet/ must not import agent/'],
  ])('inside hub/, %s may not import a layer that is not below it', async (file, source, message) => {
    const errors = (await boundaryErrors(file, source)).join('\n');
    expect(errors).toMatch(/must not import/);
    if (message) expect(errors).toContain(message);
  });

  it.each([
    ['hub/api/x.ts', "import { parseManifests } from '../../protocol/manifest.js';\nexport const a = parseManifests;\n"],
    ['hub/controllers/x.ts', "import { snapshotFromObjects } from '../placement/snapshot.js';\nimport { createEventRecorder } from '../events/recorder.js';\nexport const a = [snapshotFromObjects, createEventRecorder];\n"],
    ['hub/fleet/x.ts', "import type { Broker } from '../broker/broker.js';\nimport { updateWithRetry } from '../store/update-with-retry.js';\nexport type A = Broker;\nexport const b = updateWithRetry;\n"],
    ['hub/cli/commands/x.ts', "import { createHub } from '../../hub.js';\nexport const a = createHub;\n"],
    ['hub/hub.ts', "import { createFleet } from './fleet/index.js';\nexport const a = createFleet;\n"],
    ['agent/x.ts', "import type { ContainerRuntime } from '../runtime-adapters/runtime.js';\nexport type A = ContainerRuntime;\n"],
  ])('%s may import protocol and what is below it', async (file, source) => {
    expect(await boundaryErrors(file, source)).toEqual([]);
  });
});

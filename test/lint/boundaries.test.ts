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

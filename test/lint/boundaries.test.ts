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
    ['hub/api/x.ts', "import { parseManifests } from '../../protocol/manifest.js';\nexport const a = parseManifests;\n"],
    ['agent/x.ts', "import type { ContainerRuntime } from '../runtime-adapters/runtime.js';\nexport type A = ContainerRuntime;\n"],
  ])('%s may import protocol and what is below it', async (file, source) => {
    expect(await boundaryErrors(file, source)).toEqual([]);
  });
});

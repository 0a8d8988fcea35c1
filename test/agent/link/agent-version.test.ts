import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_BUNDLE_VERSION, AGENT_VERSION, readAgentVersion } from '../../../agent/link/agent-version.js';
import { agentVersionLabelValue } from '../../../protocol/well-known.js';

describe('the agent version', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-agent-version-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("is the source tree's package.json version when run from a checkout", () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as { version: string };
    expect(AGENT_BUNDLE_VERSION).toBe(pkg.version);
    expect(AGENT_VERSION).toBe(`drover-${pkg.version}`);
  });

  it("is the nearest package.json's: the bundle's drover-agent/package.json for drover-agent/agent/*.js", async () => {
    await writeFile(join(dir, 'package.json'), '{"version":"9.0.0"}');
    await mkdir(join(dir, 'drover-agent', 'agent'), { recursive: true });
    await writeFile(join(dir, 'drover-agent', 'package.json'), '{"name":"drover-agent","version":"0.4.2-rc.1"}');
    expect(readAgentVersion(join(dir, 'drover-agent', 'agent'))).toBe('0.4.2-rc.1');
  });

  it('refuses a package.json without a version', async () => {
    await writeFile(join(dir, 'package.json'), '{"name":"x"}');
    expect(() => readAgentVersion(dir)).toThrow(/has no version/);
  });

  it('becomes a valid label value', () => {
    expect(agentVersionLabelValue('0.3.0')).toBe('0.3.0');
    expect(agentVersionLabelValue('0.3.0-rc.1+build.7')).toBe('0.3.0-rc.1_build.7');
    expect(agentVersionLabelValue('1.0.0+')).toBe('1.0.0');
  });
});

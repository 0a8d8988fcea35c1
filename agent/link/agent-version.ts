/**
 * The agent's own version: the `version` of the nearest package.json above this module, so the bundle's
 * (`drover-agent/package.json`, written by install/build-agent-bundle.sh from the source's), or the source
 * tree's when run from a checkout or dist/. Read once, at load. Reported as nodeInfo.kubeletVersion
 * (`drover-<version>`), in the presence message and as the node label `drover.io/agent-version`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentVersionLabelValue } from '../../protocol/well-known.js';

export function readAgentVersion(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
      if (typeof version !== 'string' || version === '') throw new Error(`${file} has no version: cannot tell the agent's version`);
      return version;
    }
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}: cannot tell the agent's version`);
  }
}

/** The bundle's version, e.g. `0.1.0`. */
export const AGENT_BUNDLE_VERSION = readAgentVersion();
/** What nodeInfo.kubeletVersion and the presence message carry: `drover-<version>`. */
export const AGENT_VERSION = `drover-${AGENT_BUNDLE_VERSION}`;
/** The value of the node label `drover.io/agent-version`. */
export const AGENT_VERSION_LABEL = agentVersionLabelValue(AGENT_BUNDLE_VERSION);

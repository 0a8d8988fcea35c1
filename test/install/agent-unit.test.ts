import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS, agentEntry } from '../../hub/cli/agent-process.js';

const UNIT = readFileSync(resolve(import.meta.dirname, '../../install/drover-agent.service'), 'utf8');

describe('the agent process is started with the small-footprint V8 flags', () => {
  it('by the systemd unit, before the entry point', () => {
    const execStart = /^ExecStart=(.*)$/m.exec(UNIT)?.[1] ?? '';
    const [node, ...args] = execStart.split(/\s+/);
    expect(node).toBe('/usr/bin/node');
    expect(args.slice(0, AGENT_NODE_FLAGS.length)).toEqual([...AGENT_NODE_FLAGS]);
    expect(args[AGENT_NODE_FLAGS.length]).toBe('/opt/drover-agent/current/agent/supervisor.js');
  });

  it('by `drover agent` / `drover up`, before the entry point', () => {
    const { nodeArgs } = agentEntry();
    expect(nodeArgs.slice(0, AGENT_NODE_FLAGS.length)).toEqual([...AGENT_NODE_FLAGS]);
    expect(nodeArgs.at(-1)).toMatch(/agent\/main\.(js|ts)$/);
    expect(AGENT_NODE_FLAGS).toContain('--max-semi-space-size=1');
  });
});

describe("the join token is never on the agent's command line", () => {
  it('the systemd unit reads it from a 0600 file (--token-file), not --token', () => {
    const execStart = /^ExecStart=(.*)$/m.exec(UNIT)?.[1] ?? '';
    expect(execStart).toContain('--token-file /etc/drover/join-token');
    expect(execStart.split(/\s+/)).not.toContain('--token');
  });
});

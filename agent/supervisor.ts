#!/usr/bin/env node
/**
 * The supervisor's entry point (agent/supervisor.js in the bundle): `node P/current/agent/supervisor.js
 * [agent options]` runs the agent from P/current and watches its upgrades (agent/upgrade/supervisor.ts).
 * The prefix is $DROVER_AGENT_PREFIX or the one this file was installed in.
 */
import { createRootLogger } from '../protocol/logger.js';
import { findPrefix } from './upgrade/prefix.js';
import { createSupervisor } from './upgrade/supervisor.js';

const logger = createRootLogger().child({ component: 'agent-supervisor' });
const prefix = findPrefix(process.argv[1]);
if (!prefix) {
  process.stderr.write('drover agent supervisor: not installed under a prefix (P/versions/<v>/agent/supervisor.js): set DROVER_AGENT_PREFIX\n');
  process.exit(2);
}
const supervisor = createSupervisor({ prefix, agentArgs: process.argv.slice(2), logger });
process.on('SIGTERM', () => supervisor.stop('SIGTERM'));
process.on('SIGINT', () => supervisor.stop('SIGINT'));
supervisor.run().then(
  (code) => {
    logger.flush();
    process.exit(code === 75 ? 0 : code);
  },
  (err: unknown) => {
    logger.error({ err }, 'the supervisor failed');
    logger.flush();
    process.exit(1);
  },
);

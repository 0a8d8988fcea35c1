/**
 * `drover up [--data-dir D] [--http ...] [--mqtt ...] [--runtime ...]`: a hub in this process plus
 * one local agent (a child process) named after this machine, joined with a fresh single-use join
 * token. Ctrl-C stops the agent, then the hub. Hub state in D/hub, agent state in D/agent.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createRootLogger } from '../../../protocol/logger.js';
import { exitCodeOf, spawnAgent } from '../agent-process.js';
import { createClient } from '../client.js';
import type { CliIO } from '../io.js';
import { cliConfigLines, DEFAULT_HTTP, DEFAULT_MQTT, flushLogger, interrupted, startHub } from './hub.js';

const AGENT_STOP_TIMEOUT_MS = 15_000;

/** The hostname as a DNS label: lowercase, [a-z0-9-], no leading/trailing dash, at most 63 chars. */
export function nodeNameFromHostname(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label || 'local';
}

export function registerUpCommand(program: Command, io: CliIO): void {
  program
    .command('up')
    .description('run a hub and one local agent on this machine (the quick start)')
    .option('--data-dir <dir>', 'where to keep state (hub in DIR/hub, agent in DIR/agent; default ~/.drover)')
    .option('--http <host:port>', 'API and status page address', DEFAULT_HTTP)
    .option('--mqtt <host:port>', 'MQTT broker address', DEFAULT_MQTT)
    .option('--insecure-http', 'serve the API over plain HTTP, loopback only: for tests and debugging')
    .option('--runtime <name>', 'container runtime for the local agent: docker or containerd (default: detect)')
    .option('--name <name>', 'node name of the local agent (default: the hostname)')
    .action(async (flags: { dataDir?: string; http: string; mqtt: string; insecureHttp?: boolean; runtime?: string; name?: string }) => {
      const base = flags.dataDir ?? join(io.homedir, '.drover');
      // On a terminal the quick start prints a summary, not JSON: logs go to files beside the state.
      const hubLog = io.env.DROVER_LOG_FILE || join(base, 'hub.log');
      const agentLog = join(base, 'agent.log');
      const logger = createRootLogger({ destinationFile: hubLog });
      const stopping = interrupted(io);
      const hub = await startHub(flags, join(base, 'hub'), io, logger);
      let agentExit: Promise<number> | undefined;
      let agent: ReturnType<typeof spawnAgent> | undefined;
      try {
        const certificateAuthority = await readFile(hub.caCertPath, 'utf8');
        const client = createClient({ server: hub.httpUrl, token: hub.adminToken, certificateAuthority, source: 'drover up', configPath: hub.configPath ?? '' });
        const { token } = await client.request<{ token: string }>('POST', '/apis/drover.io/v1/jointokens', {
          body: { ttlSeconds: 600, singleUse: true, description: 'drover up: local agent' },
        });
        const name = flags.name ?? nodeNameFromHostname(hostname());
        // the token goes to the agent through a pipe (spawnAgent), never on its command line
        const args = ['--hub', hub.mqttUrl, '--name', name, '--data-dir', join(base, 'agent')];
        if (flags.runtime) args.push('--runtime', flags.runtime);
        agent = spawnAgent(args, { env: { ...io.env, DROVER_LOG_FILE: agentLog }, token });
        agentExit = exitCodeOf(agent);
        agentExit.then(
          (code) => {
            if (code !== 0) io.err(`the local agent exited with code ${code}; the hub keeps running (Ctrl-C to stop)\n`);
          },
          (err: unknown) => io.err(`error: the local agent could not start: ${(err as Error).message}\n`),
        );
        io.out(
          `Drover is up: a hub and a local agent (node "${name}").\n` +
            `  Status page: ${hub.httpUrl}/\n` +
            `  MQTT:        ${hub.mqttUrl}\n` +
            `  Logs:        ${hubLog}, ${agentLog}\n` +
            cliConfigLines(hub) +
            `Try: ${hub.otherHubConfig ? `DROVER_CONFIG=${hub.ownConfigPath} ` : ''}drover get nodes   (the node shows Ready within a few seconds)\n` +
            `Press Ctrl-C to stop.\n`,
        );
        await stopping;
      } finally {
        if (agent && agent.exitCode === null && agent.signalCode === null) {
          agent.kill('SIGTERM');
          const timer = setTimeout(() => agent!.kill('SIGKILL'), AGENT_STOP_TIMEOUT_MS);
          await agentExit?.catch(() => undefined);
          clearTimeout(timer);
        }
        await hub.close();
        await flushLogger(logger);
      }
    });
}

/**
 * Starting the agent as a child process. The hub never imports agent code (the agent ships alone to
 * devices); the CLI runs its entry point with the same Node: dist/agent/main.js next to
 * dist/hub/cli/, or agent/main.ts through tsx when running from source.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface AgentEntry {
  /** Arguments for process.execPath before the agent's own arguments. */
  nodeArgs: string[];
}

export function agentEntry(): AgentEntry {
  const built = fileURLToPath(new URL('../../agent/main.js', import.meta.url));
  if (existsSync(built)) return { nodeArgs: [built] };
  const source = fileURLToPath(new URL('../../agent/main.ts', import.meta.url));
  if (existsSync(source)) return { nodeArgs: ['--import', 'tsx', source] };
  return { nodeArgs: [built] }; // let node report the missing file
}

export function spawnAgent(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const { nodeArgs } = agentEntry();
  return spawn(process.execPath, [...nodeArgs, ...args], { stdio: 'inherit', env: opts.env ?? process.env });
}

/** Resolves with the child's exit code (128 + signal number when killed by a signal). */
export function exitCodeOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGKILL' ? 137 : 143)));
  });
}

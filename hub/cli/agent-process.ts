/**
 * Starting the agent as a child process. The hub never imports agent code (the agent ships alone to
 * devices); the CLI runs its entry point with the same Node: dist/agent/main.js next to
 * dist/hub/cli/, or agent/main.ts through tsx when running from source.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * V8 flags for the agent process, which idles for weeks on devices with 512 MiB and does little
 * computing (see BENCHMARKS.md for the figures; install/drover-agent.service passes the same):
 * - a 1 MiB young generation semi-space: the default grows to 16 MiB and stays resident (about 18 MiB
 *   of RSS); scavenges become more frequent and tiny;
 * - no optimizing compiler (TurboFan): its compilations of start-up code leave about 10 MiB behind, and
 *   the agent has no hot loop it would speed up;
 * - no baseline compiler (Sparkplug) either: its machine code for start-up functions, and the pages of the
 *   node binary that produce it, about 2.5 MiB; everything runs in the bytecode interpreter;
 * - V8's memory-over-speed heuristics (about 4 MiB);
 * - no background threads for V8's GC and compiler (--single-threaded): on a heap of about 13 MiB the
 *   main thread marks it in a few milliseconds, and the threads' stacks and malloc arenas go (about 0.5 MiB).
 * Unlike --lite-mode/--jitless (about 0.6 MiB less again) these keep WebAssembly, which Node's fetch needs,
 * and the regular-expression compiler.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--no-opt', '--no-sparkplug', '--optimize-for-size', '--single-threaded'];

export interface AgentEntry {
  /** Arguments for process.execPath before the agent's own arguments. */
  nodeArgs: string[];
}

export function agentEntry(): AgentEntry {
  const built = fileURLToPath(new URL('../../agent/main.js', import.meta.url));
  if (existsSync(built)) return { nodeArgs: [...AGENT_NODE_FLAGS, built] };
  const source = fileURLToPath(new URL('../../agent/main.ts', import.meta.url));
  if (existsSync(source)) return { nodeArgs: [...AGENT_NODE_FLAGS, '--import', 'tsx', source] };
  return { nodeArgs: [...AGENT_NODE_FLAGS, built] }; // let node report the missing file
}

/**
 * The fleet simulator's entry point (`drover sim`): dist/agent/sim/main.js, or agent/sim/main.ts through
 * tsx from source. Without the agent's small-footprint flags: one simulator process holds thousands of
 * nodes and is busy, so the optimizing compiler and a normal young generation pay for themselves there.
 */
export function simEntry(): AgentEntry {
  const built = fileURLToPath(new URL('../../agent/sim/main.js', import.meta.url));
  if (existsSync(built)) return { nodeArgs: [built] };
  const source = fileURLToPath(new URL('../../agent/sim/main.ts', import.meta.url));
  if (existsSync(source)) return { nodeArgs: ['--import', 'tsx', source] };
  return { nodeArgs: [built] };
}

export function spawnSim(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const { nodeArgs } = simEntry();
  return spawn(process.execPath, [...nodeArgs, ...args], { stdio: 'inherit', env: opts.env ?? process.env });
}

/** The descriptor a launcher hands the join token on (`--token-file /dev/fd/3`). */
export const TOKEN_FD = 3;

/**
 * The agent as a child. A join token (`token`) goes through a pipe on descriptor 3, read by the agent as
 * `--token-file /dev/fd/3`: never in the child's argv, where every local user could read it.
 */
export function spawnAgent(args: string[], opts: { env?: NodeJS.ProcessEnv; token?: string } = {}): ChildProcess {
  const { nodeArgs } = agentEntry();
  if (opts.token === undefined) return spawn(process.execPath, [...nodeArgs, ...args], { stdio: 'inherit', env: opts.env ?? process.env });
  const child = spawn(process.execPath, [...nodeArgs, ...args, '--token-file', `/dev/fd/${TOKEN_FD}`], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: opts.env ?? process.env,
  });
  const pipe = child.stdio[TOKEN_FD] as NodeJS.WritableStream & { on(e: 'error', f: () => void): void };
  // an agent that exits before reading it (a bad option) closes the pipe: nothing to report here
  pipe.on('error', () => undefined);
  pipe.end(`${opts.token}\n`);
  return child;
}

/** Resolves with the child's exit code (128 + signal number when killed by a signal). */
export function exitCodeOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGKILL' ? 137 : 143)));
  });
}

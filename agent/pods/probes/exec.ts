/**
 * exec probe: run the command in the container through the runtime; exit code 0 is success. A command
 * that outlives timeoutSeconds fails the probe, as it does in the kubelet since 1.20.
 */
import type { ContainerRuntime } from '../../../runtime-adapters/runtime.js';
import { failure, success, type ProbeOutcome } from './outcome.js';

export interface ExecProbeTarget {
  runtime: Pick<ContainerRuntime, 'exec'>;
  containerId: string;
  command: string[];
  timeoutMs: number;
}

/** Output kept in a probe message (the kubelet keeps 10 KiB). */
const MAX_OUTPUT = 10 * 1024;

export async function runExecProbe(target: ExecProbeTarget): Promise<ProbeOutcome> {
  const { runtime, containerId, command, timeoutMs } = target;
  if (command.length === 0) return failure('exec probe has no command');
  let timer: NodeJS.Timeout | undefined;
  // The runtime kills the exec at timeoutMs; our own timer, a little later, covers a runtime that hangs.
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs + 1_000);
  });
  const started = Date.now();
  try {
    const result = await Promise.race([runtime.exec(containerId, command, timeoutMs), timedOut]);
    if (result === 'timeout') return failure(`command ${JSON.stringify(command)} timed out after ${timeoutMs / 1000}s`);
    const output = `${result.stdout}${result.stderr}`.slice(-MAX_OUTPUT).trimEnd();
    if (result.exitCode === 0) return success(output);
    return failure(output || `command ${JSON.stringify(command)} exited with code ${result.exitCode}`);
  } catch (err) {
    if (Date.now() - started >= timeoutMs) return failure(`command ${JSON.stringify(command)} timed out after ${timeoutMs / 1000}s`);
    return failure(`exec ${JSON.stringify(command)} failed: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * ctr, containerd's CLI, as the adapter asks it things: a container's record, the task table, a task's
 * status (and waiting for one), killing a task, whether an image is present, a content blob. Every call
 * goes through the shared runtime CLI runner (runtime-cli.ts) with the namespace and socket flags.
 */
import type { Logger } from '../../protocol/logger.js';
import { ContainerNotFoundError, RuntimeCommandError } from '../errors.js';
import type { ProcessResult, ProcessRunner, RunOptions } from '../process-runner.js';
import { createRuntimeCli } from '../runtime-cli.js';
import type { OciSpec } from './oci-spec.js';
import { ctrError, filterQuote, isNotFound, isUnreachable, parseTaskList, type TaskStatus } from './ctr-output.js';

export const RUNTIME = 'containerd';
/** How often a wait for a task's status asks again. */
const POLL_MS = 100;

/** What `ctr containers info` prints that the adapter reads. */
export interface CtrContainerInfo {
  ID: string;
  Labels?: Record<string, string> | null;
  Image?: string;
  CreatedAt?: string;
  /** The container's OCI spec. */
  Spec?: OciSpec;
}

export interface Ctr {
  /** Run ctr; throws only when ctr cannot run or containerd does not answer. */
  run(args: string[], options?: RunOptions): Promise<ProcessResult>;
  failed(what: string, result: ProcessResult): RuntimeCommandError;
  containerInfo(id: string): Promise<CtrContainerInfo | undefined>;
  /** containerInfo, but a missing container is a ContainerNotFoundError. */
  mustExist(id: string): Promise<CtrContainerInfo>;
  taskList(): Promise<Map<string, { pid: number; status: TaskStatus }>>;
  taskStatus(id: string): Promise<TaskStatus | undefined>;
  /** Poll until `want(status)` or `timeoutMs` passed; true if it came. */
  waitForStatus(id: string, want: (s: TaskStatus | undefined) => boolean, timeoutMs: number): Promise<boolean>;
  /** Signal the task (default: the image's stop signal); a missing or finished task is not an error. */
  kill(id: string, signal: string | undefined, all: boolean): Promise<void>;
  /** SIGKILL the task (if any) and wait until it stopped. */
  killHard(id: string): Promise<void>;
  imagePresent(ref: string): Promise<boolean>;
  /** A content blob (manifest, index, image config) as JSON. */
  contentJson(digest: string): Promise<Record<string, unknown>>;
}

export function createCtr(opts: { binary: string; globalArgs: readonly string[]; run: ProcessRunner; logger: Logger }): Ctr {
  const cli = createRuntimeCli({
    runtime: RUNTIME,
    command: 'ctr',
    binary: opts.binary,
    globalArgs: opts.globalArgs,
    packages: 'containerd runc',
    isUnreachable,
    errorText: ctrError,
    run: opts.run,
    logger: opts.logger,
  });
  const { run: ctr, failed } = cli;

  async function containerInfo(id: string): Promise<CtrContainerInfo | undefined> {
    const result = await ctr(['containers', 'info', id]);
    if (result.exitCode === 0) return JSON.parse(result.stdout) as CtrContainerInfo;
    if (isNotFound(result.stderr)) return undefined;
    throw failed(`container info ${id}`, result);
  }

  async function taskList(): Promise<Map<string, { pid: number; status: TaskStatus }>> {
    const result = await ctr(['tasks', 'ls']);
    if (result.exitCode !== 0) throw failed('tasks ls', result);
    return parseTaskList(result.stdout);
  }

  async function taskStatus(id: string): Promise<TaskStatus | undefined> {
    return (await taskList()).get(id)?.status;
  }

  async function waitForStatus(id: string, want: (s: TaskStatus | undefined) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (want(await taskStatus(id))) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  async function kill(id: string, signal: string | undefined, all: boolean): Promise<void> {
    const args = ['tasks', 'kill', ...(signal ? [`--signal=${signal}`] : []), ...(all ? ['--all=true'] : []), id];
    const result = await ctr(args);
    if (result.exitCode !== 0 && !isNotFound(result.stderr) && !/process already finished/i.test(result.stderr)) {
      throw failed(`tasks kill ${id}`, result);
    }
  }

  return {
    run: ctr,
    failed,
    containerInfo,
    async mustExist(id) {
      const info = await containerInfo(id);
      if (!info) throw new ContainerNotFoundError(RUNTIME, id);
      return info;
    },
    taskList,
    taskStatus,
    waitForStatus,
    kill,
    async killHard(id) {
      const status = await taskStatus(id);
      if (status === undefined || status === 'STOPPED') return;
      await kill(id, 'SIGKILL', true);
      if (!(await waitForStatus(id, (s) => s === undefined || s === 'STOPPED', 30_000))) {
        throw new RuntimeCommandError(RUNTIME, `task ${id} did not stop after SIGKILL`, undefined);
      }
    },
    async imagePresent(ref) {
      const result = await ctr(['images', 'ls', '--quiet', `name==${filterQuote(ref)}`]);
      if (result.exitCode !== 0) throw failed('images ls', result);
      return result.stdout.split('\n').some((l) => l.trim() === ref);
    },
    async contentJson(digest) {
      const result = await ctr(['content', 'get', digest]);
      if (result.exitCode !== 0) throw failed(`content get ${digest}`, result);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    },
  };
}

/**
 * The containerd adapter: drives `ctr` (containerd 1.6), namespace "drover" by default. A container is
 * `ctr containers create` (create-args.ts) + `ctr tasks start --detach --log-uri binary://...` (the CRI log driver, cri-logger.ts); containers
 * join their pod's network namespace when the spec names one (`network.mode` netns), else use host networking, with TCP forwarders for a hostPort that differs from its containerPort
 * (port-forwarders.ts). What ctr does not keep (start time, exit code, output) is kept per container under
 * stateDir (run-state.ts); container-status.ts turns it all into ContainerInfo. One operation at a time per
 * container (container-locks.ts).
 */
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { appendFile, mkdir } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import type { Logger } from '../../protocol/logger.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { ContainerExistsError, ContainerNotFoundError, ImageNotFoundError, ImagePullError, InvalidSpecError, RuntimeCommandError, RuntimeUnavailableError } from '../errors.js';
import { startLineStream } from '../event-stream.js';
import { parseCtrImageList } from '../image-list.js';
import { hubImageRef, writeContainerdHosts } from '../hub-images.js';
import { shellQuote, startStreamingProcess } from '../streaming-process.js';
import { createExecaRunner, type ProcessResult, type ProcessRunner } from '../process-runner.js';
import type { ContainerInfo, ContainerRuntime, ContainerSpec, ExecResult, LogOptions, PullPolicy } from '../runtime.js';
import { checkNetworkMode, checkRunAsNonRoot, checkSpec, managedLabels, resolveArgv } from '../spec-checks.js';
import { createContainerLocks } from './container-locks.js';
import { createContainerLogs } from './container-logs.js';
import { criLogUri, installCriLogger } from './cri-logger.js';
import { createContainerStatus } from './container-status.js';
import { stdioOf } from './container-labels.js';
import { createContainersApi } from './containers-api.js';
import { ctrCreateArgs, deferredLabels } from './create-args.js';
import { createCtr, RUNTIME } from './ctr.js';
import { ctrError, filterQuote, isContainerLifecycleEvent, isNotFound, parseCtrEventLine, parseServerVersion } from './ctr-output.js';
import { createImageConfigs } from './image-config.js';
import { normaliseImageRef, sanitiseContainerId } from './names.js';
import { completeSpec } from './oci-spec.js';
import { createPortForwarders } from './port-forwarders.js';
import { createContainerStateStore, type ContainerRunState } from './run-state.js';
import { createTaskConsoles } from './task-console.js';
import { createTasksApi } from './tasks-api.js';

/** This adapter passes test/contract/ for this version of the interface. */
export const conformsTo = 'ContainerRuntime/v1';

export interface ContainerdRuntimeOptions {
  logger: Logger;
  /** containerd namespace; default "drover". */
  namespace?: string;
  /** The ctr CLI; default "ctr". */
  binary?: string;
  /** containerd socket; default ctr's own (/run/containerd/containerd.sock). */
  address?: string;
  /** Where per-container run state and logs live; default /var/lib/drover/containerd-adapter. */
  stateDir?: string;
  run?: ProcessRunner;
  clock?: () => number;
  /** How long ctr may try to reach the socket; default 5 s. */
  connectTimeoutSeconds?: number;
}

/**
 * `ctr ARGS` on a terminal of its own (util-linux `script`), raw and without echo, its stderr apart (fd 3).
 * ctr copies that terminal to the task's stdin until it exits, so script's stdin is a pipe left open: script
 * never sees an end of input, and passes nothing on.
 */
async function startOnTerminal(binary: string, args: readonly string[]): Promise<ProcessResult> {
  const child = execa('script', ['-qfec', `stty raw -echo 2>/dev/null; exec ${shellQuote([binary, ...args])} 2>&3`, '/dev/null'], {
    reject: false,
    stdio: ['pipe', 'pipe', 'ignore', 'pipe'],
    timeout: 60_000,
  });
  let stderr = '';
  (child.stdio[3] as Readable).on('data', (d: Buffer) => (stderr += d.toString()));
  const r = await child;
  return { exitCode: r.exitCode, stdout: String(r.stdout ?? ''), stderr, timedOut: Boolean(r.timedOut) };
}

export function createContainerdRuntime(opts: ContainerdRuntimeOptions): ContainerRuntime {
  const log = opts.logger.child({ component: 'runtime-containerd' });
  const namespace = opts.namespace ?? 'drover';
  const binary = opts.binary ?? 'ctr';
  const clock = opts.clock ?? Date.now;
  const stateRoot = opts.stateDir ?? '/var/lib/drover/containerd-adapter';
  const states = createContainerStateStore(join(stateRoot, namespace));
  const logs = createContainerLogs(states);
  let criLogger: Promise<string> | undefined;
  /** The log driver's path, written before the first task starts (again after a failed write). */
  const logDriver = (): Promise<string> => {
    criLogger ??= installCriLogger(stateRoot).catch((err: unknown) => {
      criLogger = undefined;
      throw new RuntimeCommandError(RUNTIME, `cannot write the log driver under ${stateRoot}: ${(err as Error).message}`, undefined, { cause: err });
    });
    return criLogger;
  };
  const globalArgs = [
    ...(opts.address ? [`--address=${opts.address}`] : []),
    `--namespace=${namespace}`,
    `--connect-timeout=${opts.connectTimeoutSeconds ?? 5}s`,
  ];
  const runner = opts.run ?? createExecaRunner();
  const ctr = createCtr({ binary, globalArgs, run: runner, logger: log });
  const api = createContainersApi({ namespace, ...(opts.address ? { address: opts.address } : {}) });
  const consoles = createTaskConsoles({ states, tasks: createTasksApi({ namespace, ...(opts.address ? { address: opts.address } : {}) }), logger: log });
  /**
   * `ctr tasks start --detach --fifo-dir`: the task's stdio on FIFOs the adapter reads (task-console.ts). A task
   * with a terminal needs ctr to have one of its own (it makes the task's console from it): util-linux `script`.
   */
  const startWithConsole = async (id: string, fifoDir: string, tty: boolean): Promise<ProcessResult> => {
    const args = [...globalArgs, 'tasks', 'start', '--detach=true', `--fifo-dir=${fifoDir}`, id];
    const result = tty ? await startOnTerminal(binary, args) : await runner(binary, args);
    // until it detached, ctr copied what the task wrote to its own output: the start of the task's log
    if (result.exitCode === 0 && (result.stdout || (!tty && result.stderr))) {
      await appendFile(states.logPath(id), tty ? result.stdout : result.stdout + result.stderr);
    }
    return result;
  };
  /** A task made with stdin or a TTY whose console the adapter is not reading yet (after an agent restart): read it. */
  const readConsole = async (id: string, labels: Record<string, string> | null | undefined, task: string | undefined): Promise<void> => {
    const stdio = stdioOf(labels ?? {});
    if (!stdio || task !== 'RUNNING') return;
    await consoles.open(id, stdio).catch((err: unknown) => log.warn({ err, id }, 'cannot read the task console'));
  };
  const locks = createContainerLocks();
  const forwarders = createPortForwarders({ logger: log });
  const imageConfigs = createImageConfigs(ctr);
  const status = createContainerStatus({ ctr, states, locks, forwarders, clock, logger: log });
  const now = (): string => preciseTimestamp(clock());

  /** What to run: Kubernetes command/args over the image's ENTRYPOINT/CMD (undefined: the image's own). */
  async function argvOf(spec: ContainerSpec, ref: string): Promise<string[] | undefined> {
    if (!spec.command?.length && !spec.args) return undefined;
    if (spec.command?.length) return resolveArgv({ entrypoint: [], cmd: [] }, spec.command, spec.args);
    return resolveArgv(await imageConfigs.of(ref), undefined, spec.args);
  }

  return {
    name: 'containerd',
    // ctr's default cgroupsPath: /NAMESPACE/ID (cgroupfs), the same path under cgroup v2's unified root
    cgroupPaths: (id) => [`${namespace}/${id}`, `system.slice/${namespace}-${id}.scope`],

    async version() {
      const result = await ctr.run(['version']);
      const v = parseServerVersion(result.stdout);
      if (result.exitCode !== 0 || !v) throw new RuntimeUnavailableError(RUNTIME, ctrError(result.stderr) || 'ctr version failed');
      return `containerd://${v}`;
    },

    async ensureImage(image: string, policy: PullPolicy) {
      const ref = normaliseImageRef(image);
      if (policy !== 'Always' && (await ctr.imagePresent(ref))) return;
      if (policy === 'Never') {
        throw new ImageNotFoundError(RUNTIME, image, `image ${image} is not present and imagePullPolicy is Never`);
      }
      log.info({ image: ref }, 'pulling image');
      const result = await ctr.run(['images', 'pull', ref], { timeoutMs: 30 * 60_000 });
      if (result.exitCode !== 0) throw new ImagePullError(RUNTIME, image, `pull ${ref} failed: ${ctrError(result.stderr)}`);
    },

    async pullImageFromHub(image, source) {
      const ref = normaliseImageRef(image);
      const remote = hubImageRef(source.host, image);
      const hostsDir = await writeContainerdHosts(source);
      log.info({ image: ref, from: source.host }, 'pulling image from the hub');
      const pulled = await ctr.run(['images', 'pull', '--hosts-dir', hostsDir, remote], { timeoutMs: 30 * 60_000 });
      if (pulled.exitCode !== 0) throw new ImagePullError(RUNTIME, image, `pull ${remote} from the hub failed: ${ctrError(pulled.stderr)}`);
      const tagged = await ctr.run(['images', 'tag', '--force', remote, ref]);
      if (tagged.exitCode !== 0) throw new ImagePullError(RUNTIME, image, `tag ${remote} as ${ref} failed: ${ctrError(tagged.stderr)}`);
      // the hub's name goes; the content stays, held by the pod's name
      const removed = await ctr.run(['images', 'rm', remote]);
      if (removed.exitCode !== 0) log.warn({ image: remote, error: ctrError(removed.stderr) }, 'could not untag the hub name of a pulled image');
    },

    async deleteImage(image) {
      const result = await ctr.run(['images', 'rm', normaliseImageRef(image)]);
      if (result.exitCode !== 0) throw ctr.failed(`images rm ${image}`, result);
    },

    async listImages() {
      const result = await ctr.run(['images', 'ls']);
      if (result.exitCode !== 0) throw ctr.failed('images ls', result);
      return parseCtrImageList(result.stdout);
    },

    watch(onChange) {
      return startLineStream({
        file: binary,
        args: [...globalArgs, 'events'],
        onLine: (line) => {
          const event = parseCtrEventLine(line);
          if (event && event.namespace === namespace && isContainerLifecycleEvent(event)) onChange(`containerd ${event.topic}`);
        },
        onStart: () => onChange('containerd events watch started'),
        logger: log,
      });
    },

    async create(spec: ContainerSpec) {
      checkSpec(RUNTIME, spec);
      checkNetworkMode(RUNTIME, spec, ['netns']);
      for (const p of spec.network ? [] : spec.ports) {
        if (p.protocol !== 'TCP' && p.hostPort !== undefined && p.hostPort !== p.containerPort) {
          throw new InvalidSpecError(
            RUNTIME,
            `container ${spec.name}: ${p.protocol} hostPort ${p.hostPort} differs from containerPort ${p.containerPort}; ` +
              'containerd containers use host networking and only TCP ports can be forwarded',
          );
        }
      }
      const id = sanitiseContainerId(spec.name);
      return locks.run(id, async () => {
        if (await ctr.containerInfo(id)) throw new ContainerExistsError(RUNTIME, spec.name);
        const ref = normaliseImageRef(spec.image);
        if (!(await ctr.imagePresent(ref))) throw new ImageNotFoundError(RUNTIME, spec.image, `image ${spec.image} is not present`);
        const argv = await argvOf(spec, ref);
        if (argv && argv.length === 0) throw new InvalidSpecError(RUNTIME, `container ${spec.name}: nothing to run (empty args and no ENTRYPOINT)`);
        if (spec.security?.runAsNonRoot && spec.security.runAsUser === undefined) checkRunAsNonRoot(RUNTIME, spec.security, (await imageConfigs.of(ref)).user);
        else checkRunAsNonRoot(RUNTIME, spec.security, '');
        await states.remove(id);
        await states.write(id, {});
        // ctr makes the container from the image without any environment; the values (Secrets among them) and
        // the user go into its spec through containerd's socket: no value is ever on a command line
        const result = await ctr.run(ctrCreateArgs(spec, ref, argv));
        if (result.exitCode !== 0) {
          await states.remove(id);
          if (/already exists/i.test(result.stderr)) throw new ContainerExistsError(RUNTIME, spec.name);
          if (/invalid argument/i.test(result.stderr)) throw new InvalidSpecError(RUNTIME, `create ${spec.name}: ${ctrError(result.stderr)}`);
          throw ctr.failed(`create ${spec.name}`, result);
        }
        try {
          const made = await ctr.mustExist(id);
          await api.updateSpec(id, completeSpec(made.Spec ?? {}, spec.env, spec.security), deferredLabels(spec));
        } catch (err) {
          const rm = await ctr.run(['containers', 'delete', id]);
          if (rm.exitCode !== 0 && !isNotFound(rm.stderr)) log.warn({ id, stderr: rm.stderr }, 'could not delete a container whose spec could not be completed');
          await states.remove(id);
          throw err;
        }
        log.info({ id, name: spec.name, image: ref }, 'created container');
        return id;
      });
    },

    async start(id: string) {
      await locks.run(id, async () => {
        const raw = await ctr.mustExist(id);
        const task = await ctr.taskStatus(id);
        if (task === 'RUNNING') return;
        if (task === 'STOPPED') await status.harvest(id);
        else if (task !== undefined) await ctr.run(['tasks', 'delete', '--force=true', id]);
        await forwarders.open(id, raw.Labels ?? {});
        await mkdir(states.dir(id), { recursive: true });
        const started: ContainerRunState = { startedAt: now() };
        await states.write(id, started);
        const stdio = stdioOf(raw.Labels ?? {});
        // a stdin/TTY container's output is read by the adapter (task-console.ts, into output.log); any other
        // goes through the CRI log driver the shim runs (cri-logger.ts, into container.log with each line's time)
        const result = stdio
          ? await startWithConsole(id, await consoles.prepare(id), stdio.tty)
          : await ctr.run(['tasks', 'start', '--detach=true', `--log-uri=${criLogUri(await logDriver(), states.criLogPath(id))}`, id]);
        if (result.exitCode !== 0) {
          await forwarders.close(id);
          const reason = ctrError(result.stderr);
          // the task may exist half-made; clear it so the container can be started again
          const cleanup = await ctr.run(['tasks', 'delete', '--force=true', id]);
          if (cleanup.exitCode !== 0 && !isNotFound(cleanup.stderr)) log.warn({ id, stderr: cleanup.stderr }, 'could not delete failed task');
          await states.write(id, { ...started, exitCode: 128, finishedAt: now(), reason });
          throw new RuntimeCommandError(RUNTIME, `start ${id}: ${reason}`, result.exitCode);
        }
        if (stdio) await consoles.open(id, stdio);
        log.info({ id }, 'started container');
      });
    },

    async stop(id: string, graceSeconds: number) {
      await locks.run(id, async () => {
        await ctr.mustExist(id);
        const task = await ctr.taskStatus(id);
        if (task === undefined) return;
        if (task !== 'STOPPED') {
          await ctr.kill(id, undefined, false); // the image's stop signal, SIGTERM by default
          const stopped = await ctr.waitForStatus(id, (s) => s === undefined || s === 'STOPPED', Math.max(0, graceSeconds) * 1000);
          if (!stopped) {
            log.info({ id, graceSeconds }, 'grace period over: SIGKILL');
            await ctr.killHard(id);
          }
        }
        if ((await ctr.taskStatus(id)) === 'STOPPED') await status.harvest(id);
      });
    },

    async remove(id: string) {
      await locks.run(id, async () => {
        const raw = await ctr.containerInfo(id);
        if (raw) {
          await ctr.killHard(id);
          const del = await ctr.run(['tasks', 'delete', '--force=true', id]);
          if (del.exitCode !== 0 && !isNotFound(del.stderr)) throw ctr.failed(`tasks delete ${id}`, del);
          const rm = await ctr.run(['containers', 'delete', id]);
          if (rm.exitCode !== 0 && !isNotFound(rm.stderr)) throw ctr.failed(`containers delete ${id}`, rm);
          log.info({ id }, 'removed container');
        }
        await forwarders.close(id);
        consoles.close(id);
        await states.remove(id);
      });
    },

    async list(labels: Record<string, string> = {}) {
      const wanted = managedLabels(labels);
      const filter = Object.entries(wanted)
        .map(([k, v]) => `labels.${filterQuote(k)}==${filterQuote(v)}`)
        .join(',');
      const result = await ctr.run(['containers', 'ls', '--quiet', filter]);
      if (result.exitCode !== 0) throw ctr.failed('containers ls', result);
      const ids = result.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
      const tasks = await ctr.taskList();
      const infos: ContainerInfo[] = [];
      for (const id of ids) {
        const raw = await ctr.containerInfo(id);
        if (!raw) continue; // removed meanwhile
        const all = raw.Labels ?? {};
        if (!Object.entries(wanted).every(([k, v]) => all[k] === v)) continue;
        await readConsole(id, raw.Labels, tasks.get(id)?.status);
        infos.push(await status.info(raw, tasks.get(id)?.status));
      }
      return infos;
    },

    async inspect(id: string) {
      const raw = await ctr.mustExist(id);
      const task = await ctr.taskStatus(id);
      await readConsole(id, raw.Labels, task);
      return status.info(raw, task);
    },

    async logs(id: string, options: LogOptions = {}) {
      await ctr.mustExist(id);
      return logs.read(id, options.tailLines);
    },

    async exec(id: string, argv: string[], timeoutMs?: number): Promise<ExecResult> {
      if (argv.length === 0) throw new InvalidSpecError(RUNTIME, 'exec needs a command');
      const execId = `drover-exec-${randomBytes(6).toString('hex')}`;
      // ctr takes everything after the container id as the argv, flags included.
      const result = await ctr.run(['tasks', 'exec', `--exec-id=${execId}`, id, ...argv], timeoutMs === undefined ? {} : { timeoutMs });
      if (result.timedOut) {
        const k = await ctr.run(['tasks', 'kill', '--signal=SIGKILL', `--exec-id=${execId}`, id]);
        if (k.exitCode !== 0) log.warn({ id, execId, stderr: k.stderr }, 'could not kill timed-out exec');
        throw new RuntimeCommandError(RUNTIME, `exec in ${id} timed out after ${timeoutMs} ms`, undefined);
      }
      const ctrLine = result.stderr.split('\n').find((l) => l.startsWith('ctr: '));
      if (result.exitCode === 1 && ctrLine) {
        if (/OCI runtime exec failed/.test(ctrLine)) return { exitCode: 126, stdout: result.stdout, stderr: result.stderr };
        if (/container .* not found/.test(ctrLine)) throw new ContainerNotFoundError(RUNTIME, id);
        throw ctr.failed(`exec in ${id}`, result);
      }
      return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
    },

    async execStream(id, argv, options) {
      if (argv.length === 0) throw new InvalidSpecError(RUNTIME, 'exec needs a command');
      await ctr.mustExist(id);
      const execId = `drover-exec-${randomBytes(6).toString('hex')}`;
      log.debug({ id, execId, tty: Boolean(options.tty) }, 'ctr tasks exec (stream)');
      return startStreamingProcess(binary, [...globalArgs, 'tasks', 'exec', `--exec-id=${execId}`, ...(options.tty ? ['--tty'] : []), id, ...argv], options, RUNTIME);
    },

    async attachStream(id, options) {
      const raw = await ctr.mustExist(id);
      const stdio = stdioOf(raw.Labels ?? {});
      if (!stdio) throw new InvalidSpecError(RUNTIME, `container ${id} was made without stdin or a TTY: its output is its log only`);
      const task = await ctr.taskStatus(id);
      if (task !== 'RUNNING') throw new RuntimeCommandError(RUNTIME, `cannot attach to ${id}: its task is ${task ?? 'not started'}`, undefined);
      return consoles.attach(id, stdio, options);
    },

    async logStream(id, options) {
      await ctr.mustExist(id);
      const pid = options.follow ? (await ctr.taskList()).get(id) : undefined;
      return logs.stream(id, { ...options, follow: options.follow && pid?.status === 'RUNNING', ...(pid ? { pid: pid.pid } : {}) });
    },
  };
}

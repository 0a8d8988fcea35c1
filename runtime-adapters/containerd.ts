import { mkdir, readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../protocol/logger.js';
import { sanitiseContainerId, normaliseImageRef } from './containerd-names.js';
import { createContainerStateStore, type ContainerRunState } from './containerd-state.js';
import {
  ctrError,
  filterQuote,
  isContainerLifecycleEvent,
  isNotFound,
  isUnreachable,
  parseCtrEventLine,
  parseDeleteExitCode,
  parseServerVersion,
  parseTaskList,
  type TaskStatus,
} from './ctr-output.js';
import {
  ContainerExistsError,
  ContainerNotFoundError,
  ImageNotFoundError,
  ImagePullError,
  InvalidSpecError,
  RuntimeCommandError,
  RuntimeUnavailableError,
} from './errors.js';
import { withEnvFile } from './env-file.js';
import { startLineStream } from './event-stream.js';
import { hostAddress } from './host-address.js';
import { parseCtrImageList } from './image-list.js';
import { createExecaRunner, type ProcessResult, type ProcessRunner, type RunOptions } from './process-runner.js';
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerSpec,
  ExecResult,
  LogOptions,
  PortMapping,
  PullPolicy,
} from './runtime.js';
import { redactEnvArgs } from './redact-args.js';
import { checkSpec, managedLabels, resolveArgv } from './spec-checks.js';
import { startTcpForwarder, type TcpForwarder } from './tcp-forwarder.js';

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

const RUNTIME = 'containerd';
/** Labels the adapter keeps on each container for itself (stripped from ContainerInfo.labels). */
const OWN = {
  name: 'io.drover.containerd.name',
  image: 'io.drover.containerd.image',
  ports: 'io.drover.containerd.ports',
} as const;
const POLL_MS = 100;

interface CtrContainerInfo {
  ID: string;
  Labels?: Record<string, string> | null;
  Image?: string;
  CreatedAt?: string;
}

interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

export function createContainerdRuntime(opts: ContainerdRuntimeOptions): ContainerRuntime {
  const log = opts.logger.child({ component: 'runtime-containerd' });
  const namespace = opts.namespace ?? 'drover';
  const binary = opts.binary ?? 'ctr';
  const run = opts.run ?? createExecaRunner();
  const clock = opts.clock ?? Date.now;
  const states = createContainerStateStore(join(opts.stateDir ?? '/var/lib/drover/containerd-adapter', namespace));
  const globalArgs = [
    ...(opts.address ? [`--address=${opts.address}`] : []),
    `--namespace=${namespace}`,
    `--connect-timeout=${opts.connectTimeoutSeconds ?? 5}s`,
  ];
  const forwarders = new Map<string, TcpForwarder[]>();
  const locks = new Map<string, Promise<unknown>>();
  const imageConfigs = new Map<string, ImageConfig>();
  let hostIp: string | undefined;

  const nowIso = () => new Date(clock()).toISOString();

  /** Run ctr; throws only when ctr cannot run or containerd does not answer. */
  async function ctr(args: string[], runOptions?: RunOptions): Promise<ProcessResult> {
    log.debug({ args: redactEnvArgs(args) }, 'ctr');
    const result = await run(binary, [...globalArgs, ...args], runOptions);
    if (result.spawnError) {
      throw new RuntimeUnavailableError(
        RUNTIME,
        `cannot run ${binary} (${result.spawnError.code ?? result.spawnError.message}); install it with \`apt-get install -y containerd runc\``,
        { cause: result.spawnError },
      );
    }
    if (result.exitCode !== 0 && isUnreachable(result.stderr)) throw new RuntimeUnavailableError(RUNTIME, ctrError(result.stderr));
    return result;
  }

  function failed(what: string, result: ProcessResult): RuntimeCommandError {
    return new RuntimeCommandError(RUNTIME, `${what}: ${ctrError(result.stderr) || `exit code ${result.exitCode}`}`, result.exitCode);
  }

  /** One operation at a time per container: harvesting an exit deletes the task, which must happen once. */
  async function locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    locks.set(id, settled);
    try {
      return await next;
    } finally {
      if (locks.get(id) === settled) locks.delete(id);
    }
  }

  async function containerInfo(id: string): Promise<CtrContainerInfo | undefined> {
    const result = await ctr(['containers', 'info', id]);
    if (result.exitCode === 0) return JSON.parse(result.stdout) as CtrContainerInfo;
    if (isNotFound(result.stderr)) return undefined;
    throw failed(`container info ${id}`, result);
  }

  async function mustExist(id: string): Promise<CtrContainerInfo> {
    const info = await containerInfo(id);
    if (!info) throw new ContainerNotFoundError(RUNTIME, id);
    return info;
  }

  async function taskList(): Promise<Map<string, { pid: number; status: TaskStatus }>> {
    const result = await ctr(['tasks', 'ls']);
    if (result.exitCode !== 0) throw failed('tasks ls', result);
    return parseTaskList(result.stdout);
  }

  async function taskStatus(id: string): Promise<TaskStatus | undefined> {
    return (await taskList()).get(id)?.status;
  }

  async function closeForwarders(id: string): Promise<void> {
    const fws = forwarders.get(id);
    if (!fws) return;
    forwarders.delete(id);
    await Promise.all(fws.map((f) => f.close()));
  }

  /** Ports that need a forwarder: hostPort set and different from containerPort. */
  function forwardedPorts(labels: Record<string, string>): PortMapping[] {
    const raw = labels[OWN.ports];
    if (!raw) return [];
    return (JSON.parse(raw) as PortMapping[]).filter((p) => p.hostPort !== undefined && p.hostPort !== p.containerPort);
  }

  async function openForwarders(id: string, ports: PortMapping[]): Promise<void> {
    if (ports.length === 0 || forwarders.has(id)) return;
    const opened: TcpForwarder[] = [];
    try {
      for (const p of ports) {
        opened.push(
          await startTcpForwarder({
            hostPort: p.hostPort!,
            targetPort: p.containerPort,
            ...(p.hostIP ? { hostIP: p.hostIP } : {}),
            logger: log.child({ container: id }),
          }),
        );
      }
    } catch (err) {
      await Promise.all(opened.map((f) => f.close()));
      throw new RuntimeCommandError(RUNTIME, `cannot forward host ports for ${id}: ${(err as Error).message}`, undefined, {
        cause: err,
      });
    }
    forwarders.set(id, opened);
  }

  /** The task stopped: record its exit code and time, delete the task (keeping the container). */
  async function harvest(id: string): Promise<ContainerRunState> {
    const result = await ctr(['tasks', 'delete', id]);
    const state = await states.read(id);
    if (result.exitCode !== 0) {
      if (isNotFound(result.stderr)) return state; // harvested meanwhile by another process
      throw failed(`tasks delete ${id}`, result);
    }
    const next: ContainerRunState = { ...state, exitCode: parseDeleteExitCode(result.stderr), finishedAt: nowIso() };
    await states.write(id, next);
    await closeForwarders(id);
    log.info({ id, exitCode: next.exitCode }, 'container exited');
    return next;
  }

  async function toInfo(raw: CtrContainerInfo, status: TaskStatus | undefined): Promise<ContainerInfo> {
    const id = raw.ID;
    const allLabels = raw.Labels ?? {};
    let state = await states.read(id);
    if (status === 'STOPPED') state = await locked(id, () => harvest(id));
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(allLabels)) if (!Object.values(OWN).includes(k as never)) labels[k] = v;
    const info: ContainerInfo = {
      id,
      name: allLabels[OWN.name] ?? id,
      image: allLabels[OWN.image] ?? raw.Image ?? '',
      labels,
      state: 'created',
      ip: (hostIp ??= hostAddress()),
    };
    if (raw.CreatedAt) info.createdAt = raw.CreatedAt;
    if (status === 'RUNNING' || status === 'PAUSED' || status === 'PAUSING') {
      info.state = 'running';
      if (state.startedAt) info.startedAt = state.startedAt;
      try {
        await openForwarders(id, forwardedPorts(allLabels)); // after an agent restart
      } catch (err) {
        log.warn({ err, id }, 'could not restore port forwarders');
      }
    } else if (status === 'UNKNOWN') {
      info.state = 'unknown';
    } else if (state.exitCode !== undefined) {
      info.state = 'exited';
      info.exitCode = state.exitCode;
      if (state.startedAt) info.startedAt = state.startedAt;
      if (state.finishedAt) info.finishedAt = state.finishedAt;
    }
    if (state.reason) info.reason = state.reason;
    return info;
  }

  async function imagePresent(ref: string): Promise<boolean> {
    const result = await ctr(['images', 'ls', '--quiet', `name==${filterQuote(ref)}`]);
    if (result.exitCode !== 0) throw failed('images ls', result);
    return result.stdout.split('\n').some((l) => l.trim() === ref);
  }

  async function contentJson(digest: string): Promise<Record<string, unknown>> {
    const result = await ctr(['content', 'get', digest]);
    if (result.exitCode !== 0) throw failed(`content get ${digest}`, result);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  /** ENTRYPOINT and CMD of a local image, read from its config blob. */
  async function imageConfig(ref: string): Promise<ImageConfig> {
    const result = await ctr(['images', 'ls', `name==${filterQuote(ref)}`]);
    if (result.exitCode !== 0) throw failed('images ls', result);
    const row = result.stdout
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .find((cols) => cols[0] === ref);
    const digest = row?.[2];
    if (!digest) throw new ImageNotFoundError(RUNTIME, ref, `image ${ref} is not present`);
    const cached = imageConfigs.get(digest);
    if (cached) return cached;
    let manifest = await contentJson(digest);
    if (Array.isArray(manifest.manifests)) {
      const arch = GO_ARCH[process.arch] ?? process.arch;
      const entries = manifest.manifests as { digest: string; platform?: { os?: string; architecture?: string } }[];
      const pick = entries.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch) ?? entries[0];
      if (!pick) throw new ImageNotFoundError(RUNTIME, ref, `image ${ref} has no manifest for linux/${arch}`);
      manifest = await contentJson(pick.digest);
    }
    const configDigest = (manifest.config as { digest?: string } | undefined)?.digest;
    if (!configDigest) throw new RuntimeCommandError(RUNTIME, `image ${ref}: manifest has no config`, undefined);
    const config = (await contentJson(configDigest)).config as { Entrypoint?: string[] | null; Cmd?: string[] | null } | undefined;
    const result2: ImageConfig = { entrypoint: config?.Entrypoint ?? [], cmd: config?.Cmd ?? [] };
    imageConfigs.set(digest, result2);
    return result2;
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

  /** SIGKILL the task (if any) and wait until it stopped. */
  async function killHard(id: string): Promise<void> {
    const status = await taskStatus(id);
    if (status === undefined || status === 'STOPPED') return;
    await kill(id, 'SIGKILL', true);
    if (!(await waitForStatus(id, (s) => s === undefined || s === 'STOPPED', 30_000))) {
      throw new RuntimeCommandError(RUNTIME, `task ${id} did not stop after SIGKILL`, undefined);
    }
  }

  function createArgs(spec: ContainerSpec, ref: string, argv: string[] | undefined, envFile: string | undefined, inlineEnv: Record<string, string>): string[] {
    const labels = {
      ...managedLabels(spec.labels),
      [OWN.name]: spec.name,
      [OWN.image]: spec.image,
      ...(spec.ports.length > 0 ? { [OWN.ports]: JSON.stringify(spec.ports) } : {}),
    };
    const args = ['containers', 'create', '--net-host=true'];
    for (const [k, v] of Object.entries(labels)) args.push(`--label=${k}=${v}`);
    if (envFile) args.push(`--env-file=${envFile}`);
    for (const [k, v] of Object.entries(inlineEnv)) args.push(`--env=${k}=${v}`);
    if (spec.workingDir) args.push(`--cwd=${spec.workingDir}`);
    for (const m of spec.mounts) {
      args.push(`--mount=type=bind,src=${m.hostPath},dst=${m.containerPath},options=rbind:${m.readOnly ? 'ro' : 'rw'}`);
    }
    if (spec.memoryLimitBytes !== undefined) args.push(`--memory-limit=${Math.floor(spec.memoryLimitBytes)}`);
    if (spec.cpuLimitMillis !== undefined) {
      const period = 100_000;
      args.push(`--cpu-period=${period}`, `--cpu-quota=${Math.max(1000, Math.round((spec.cpuLimitMillis * period) / 1000))}`);
    }
    // Flags in --name=value form only: ctr's CLI parser otherwise takes the image for a flag's value.
    args.push(ref, sanitiseContainerId(spec.name), '--', ...(argv ?? []));
    return args;
  }

  return {
    name: 'containerd',

    async version() {
      const result = await ctr(['version']);
      const v = parseServerVersion(result.stdout);
      if (result.exitCode !== 0 || !v) throw new RuntimeUnavailableError(RUNTIME, ctrError(result.stderr) || 'ctr version failed');
      return `containerd://${v}`;
    },

    async ensureImage(image: string, policy: PullPolicy) {
      const ref = normaliseImageRef(image);
      if (policy !== 'Always' && (await imagePresent(ref))) return;
      if (policy === 'Never') {
        throw new ImageNotFoundError(RUNTIME, image, `image ${image} is not present and imagePullPolicy is Never`);
      }
      log.info({ image: ref }, 'pulling image');
      const result = await ctr(['images', 'pull', ref], { timeoutMs: 30 * 60_000 });
      if (result.exitCode !== 0) throw new ImagePullError(RUNTIME, image, `pull ${ref} failed: ${ctrError(result.stderr)}`);
    },

    async listImages() {
      const result = await ctr(['images', 'ls']);
      if (result.exitCode !== 0) throw failed('images ls', result);
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
      for (const p of spec.ports) {
        if (p.protocol !== 'TCP' && p.hostPort !== undefined && p.hostPort !== p.containerPort) {
          throw new InvalidSpecError(
            RUNTIME,
            `container ${spec.name}: ${p.protocol} hostPort ${p.hostPort} differs from containerPort ${p.containerPort}; ` +
              'containerd containers use host networking and only TCP ports can be forwarded',
          );
        }
      }
      const id = sanitiseContainerId(spec.name);
      return locked(id, async () => {
        if (await containerInfo(id)) throw new ContainerExistsError(RUNTIME, spec.name);
        const ref = normaliseImageRef(spec.image);
        if (!(await imagePresent(ref))) throw new ImageNotFoundError(RUNTIME, spec.image, `image ${spec.image} is not present`);
        let argv: string[] | undefined;
        if (spec.command?.length || spec.args) {
          argv = spec.command?.length ? resolveArgv({ entrypoint: [], cmd: [] }, spec.command, spec.args) : resolveArgv(await imageConfig(ref), undefined, spec.args);
        }
        if (argv && argv.length === 0) throw new InvalidSpecError(RUNTIME, `container ${spec.name}: nothing to run (empty args and no ENTRYPOINT)`);
        await states.remove(id);
        await states.write(id, {});
        const result = await withEnvFile(spec.env, (envFile, inline) => ctr(createArgs(spec, ref, argv, envFile, inline)));
        if (result.exitCode !== 0) {
          await states.remove(id);
          if (/already exists/i.test(result.stderr)) throw new ContainerExistsError(RUNTIME, spec.name);
          if (/invalid argument/i.test(result.stderr)) throw new InvalidSpecError(RUNTIME, `create ${spec.name}: ${ctrError(result.stderr)}`);
          throw failed(`create ${spec.name}`, result);
        }
        log.info({ id, name: spec.name, image: ref }, 'created container');
        return id;
      });
    },

    async start(id: string) {
      await locked(id, async () => {
        const raw = await mustExist(id);
        const status = await taskStatus(id);
        if (status === 'RUNNING') return;
        if (status === 'STOPPED') await harvest(id);
        else if (status !== undefined) await ctr(['tasks', 'delete', '--force=true', id]);
        await openForwarders(id, forwardedPorts(raw.Labels ?? {}));
        await mkdir(states.dir(id), { recursive: true });
        const started: ContainerRunState = { startedAt: nowIso() };
        await states.write(id, started);
        const result = await ctr(['tasks', 'start', '--detach=true', `--log-uri=file://${states.logPath(id)}`, id]);
        if (result.exitCode !== 0) {
          await closeForwarders(id);
          const reason = ctrError(result.stderr);
          // the task may exist half-made; clear it so the container can be started again
          const cleanup = await ctr(['tasks', 'delete', '--force=true', id]);
          if (cleanup.exitCode !== 0 && !isNotFound(cleanup.stderr)) log.warn({ id, stderr: cleanup.stderr }, 'could not delete failed task');
          await states.write(id, { ...started, exitCode: 128, finishedAt: nowIso(), reason });
          throw new RuntimeCommandError(RUNTIME, `start ${id}: ${reason}`, result.exitCode);
        }
        log.info({ id }, 'started container');
      });
    },

    async stop(id: string, graceSeconds: number) {
      await locked(id, async () => {
        await mustExist(id);
        const status = await taskStatus(id);
        if (status === undefined) return;
        if (status !== 'STOPPED') {
          await kill(id, undefined, false); // the image's stop signal, SIGTERM by default
          const stopped = await waitForStatus(id, (s) => s === undefined || s === 'STOPPED', Math.max(0, graceSeconds) * 1000);
          if (!stopped) {
            log.info({ id, graceSeconds }, 'grace period over: SIGKILL');
            await killHard(id);
          }
        }
        if ((await taskStatus(id)) === 'STOPPED') await harvest(id);
      });
    },

    async remove(id: string) {
      await locked(id, async () => {
        const raw = await containerInfo(id);
        if (raw) {
          await killHard(id);
          const del = await ctr(['tasks', 'delete', '--force=true', id]);
          if (del.exitCode !== 0 && !isNotFound(del.stderr)) throw failed(`tasks delete ${id}`, del);
          const rm = await ctr(['containers', 'delete', id]);
          if (rm.exitCode !== 0 && !isNotFound(rm.stderr)) throw failed(`containers delete ${id}`, rm);
          log.info({ id }, 'removed container');
        }
        await closeForwarders(id);
        await states.remove(id);
      });
    },

    async list(labels: Record<string, string> = {}) {
      const wanted = managedLabels(labels);
      const filter = Object.entries(wanted)
        .map(([k, v]) => `labels.${filterQuote(k)}==${filterQuote(v)}`)
        .join(',');
      const result = await ctr(['containers', 'ls', '--quiet', filter]);
      if (result.exitCode !== 0) throw failed('containers ls', result);
      const ids = result.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
      const tasks = await taskList();
      const infos: ContainerInfo[] = [];
      for (const id of ids) {
        const raw = await containerInfo(id);
        if (!raw) continue; // removed meanwhile
        const all = raw.Labels ?? {};
        if (!Object.entries(wanted).every(([k, v]) => all[k] === v)) continue;
        infos.push(await toInfo(raw, tasks.get(id)?.status));
      }
      return infos;
    },

    async inspect(id: string) {
      const raw = await mustExist(id);
      return toInfo(raw, await taskStatus(id));
    },

    async logs(id: string, options: LogOptions = {}) {
      await mustExist(id);
      let text: string;
      try {
        text = await readFile(states.logPath(id), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
        throw new RuntimeCommandError(RUNTIME, `cannot read logs of ${id}: ${(err as Error).message}`, undefined, { cause: err });
      }
      if (options.tailLines === undefined) return text;
      const lines = text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      if (options.tailLines <= 0) return '';
      return lines.slice(-options.tailLines).map((l) => `${l}\n`).join('');
    },

    async exec(id: string, argv: string[], timeoutMs?: number): Promise<ExecResult> {
      if (argv.length === 0) throw new InvalidSpecError(RUNTIME, 'exec needs a command');
      const execId = `drover-exec-${randomBytes(6).toString('hex')}`;
      // ctr takes everything after the container id as the argv, flags included.
      const result = await ctr(['tasks', 'exec', `--exec-id=${execId}`, id, ...argv], timeoutMs === undefined ? {} : { timeoutMs });
      if (result.timedOut) {
        const k = await ctr(['tasks', 'kill', '--signal=SIGKILL', `--exec-id=${execId}`, id]);
        if (k.exitCode !== 0) log.warn({ id, execId, stderr: k.stderr }, 'could not kill timed-out exec');
        throw new RuntimeCommandError(RUNTIME, `exec in ${id} timed out after ${timeoutMs} ms`, undefined);
      }
      const ctrLine = result.stderr.split('\n').find((l) => l.startsWith('ctr: '));
      if (result.exitCode === 1 && ctrLine) {
        if (/OCI runtime exec failed/.test(ctrLine)) return { exitCode: 126, stdout: result.stdout, stderr: result.stderr };
        if (/container .* not found/.test(ctrLine)) throw new ContainerNotFoundError(RUNTIME, id);
        throw failed(`exec in ${id}`, result);
      }
      return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
  };
}


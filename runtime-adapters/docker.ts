import type { Logger } from '../protocol/logger.js';
import { RUNTIME_LABELS } from '../protocol/pod-helpers.js';
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
import { parseDockerImageInspect } from './image-list.js';
import { createExecaRunner, type ProcessResult, type ProcessRunner, type RunOptions } from './process-runner.js';
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ExecResult,
  LogOptions,
  PullPolicy,
} from './runtime.js';
import { redactEnvArgs } from './redact-args.js';
import { checkSpec, managedLabels } from './spec-checks.js';

/** This adapter passes test/contract/ for this version of the interface. */
export const conformsTo = 'ContainerRuntime/v1';

export interface DockerRuntimeOptions {
  logger: Logger;
  /** The docker CLI; default "docker". */
  binary?: string;
  /** Daemon address (docker -H), e.g. unix:///var/run/docker.sock; default: the CLI's own default. */
  host?: string;
  run?: ProcessRunner;
}

const RUNTIME = 'docker';
/** `docker events` actions that change what the agent sees (exec_* and attach do not). */
const WATCHED_ACTIONS = new Set(['start', 'die', 'destroy', 'oom']);

/** Subset of `docker inspect` we read. */
interface DockerInspect {
  Id: string;
  Name: string;
  Created?: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null };
  State?: {
    Status?: string;
    ExitCode?: number;
    StartedAt?: string;
    FinishedAt?: string;
    OOMKilled?: boolean;
    Error?: string;
  };
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> | null };
}

function isUnavailable(stderr: string): boolean {
  return /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|docker\.sock: connect: permission denied/i.test(
    stderr,
  );
}

function isNoSuchContainer(stderr: string): boolean {
  return /No such container|No such object/i.test(stderr);
}

/** Docker's zero time means "never". */
function timestamp(value: string | undefined): string | undefined {
  if (!value || value.startsWith('0001-01-01')) return undefined;
  return value;
}

function mapState(status: string | undefined): ContainerState {
  switch (status) {
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    case 'exited':
    case 'dead':
      return 'exited';
    default:
      return 'unknown';
  }
}

export function toContainerInfo(raw: DockerInspect, hostIp: () => string): ContainerInfo {
  const state = mapState(raw.State?.Status);
  const hostNet = raw.HostConfig?.NetworkMode === 'host';
  const bridgeIp =
    raw.NetworkSettings?.IPAddress || Object.values(raw.NetworkSettings?.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
  const reason = raw.State?.OOMKilled ? 'OOMKilled' : raw.State?.Error ? raw.State.Error : undefined;
  const info: ContainerInfo = {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    image: raw.Config?.Image ?? '',
    labels: raw.Config?.Labels ?? {},
    state,
  };
  if (state === 'exited' && raw.State?.ExitCode !== undefined) info.exitCode = raw.State.ExitCode;
  const createdAt = timestamp(raw.Created);
  const startedAt = timestamp(raw.State?.StartedAt);
  const finishedAt = timestamp(raw.State?.FinishedAt);
  if (createdAt) info.createdAt = createdAt;
  if (startedAt) info.startedAt = startedAt;
  // Docker stamps StartedAt once the process is running; one that exits at once can show an earlier FinishedAt.
  if (finishedAt && state === 'exited') {
    info.finishedAt = startedAt && Date.parse(finishedAt) < Date.parse(startedAt) ? startedAt : finishedAt;
  }
  if (hostNet) info.ip = hostIp();
  else if (bridgeIp) info.ip = bridgeIp;
  if (reason) info.reason = reason;
  return info;
}

/**
 * Arguments of `docker create` for a spec. With `envFile`, the environment is read from that file and only
 * `inlineEnv` (what an env file cannot carry, see env-file.ts) goes on the command line.
 */
export function dockerCreateArgs(spec: ContainerSpec, envFile?: string, inlineEnv: Record<string, string> = spec.env): string[] {
  const args = ['create', '--pull', 'never', '--name', spec.name];
  for (const [k, v] of Object.entries(managedLabels(spec.labels))) args.push('--label', `${k}=${v}`);
  if (envFile) args.push('--env-file', envFile);
  for (const [k, v] of Object.entries(envFile ? inlineEnv : spec.env)) args.push('--env', `${k}=${v}`);
  if (spec.workingDir) args.push('--workdir', spec.workingDir);
  if (spec.hostNetwork) {
    args.push('--network', 'host');
  } else {
    for (const p of spec.ports) {
      if (p.hostPort === undefined) continue;
      const ip = p.hostIP ? `${p.hostIP}:` : '';
      args.push('--publish', `${ip}${p.hostPort}:${p.containerPort}/${p.protocol.toLowerCase()}`);
    }
  }
  for (const m of spec.mounts) args.push('--volume', `${m.hostPath}:${m.containerPath}${m.readOnly ? ':ro' : ''}`);
  if (spec.cpuLimitMillis !== undefined) args.push('--cpus', (spec.cpuLimitMillis / 1000).toString());
  if (spec.memoryLimitBytes !== undefined) args.push('--memory', `${Math.floor(spec.memoryLimitBytes)}b`);
  let positional: string[] = spec.args ?? [];
  if (spec.command && spec.command.length > 0) {
    args.push('--entrypoint', spec.command[0]!);
    positional = [...spec.command.slice(1), ...(spec.args ?? [])];
  }
  args.push(spec.image, ...positional);
  return args;
}

export function createDockerRuntime(opts: DockerRuntimeOptions): ContainerRuntime {
  const log = opts.logger.child({ component: 'runtime-docker' });
  const binary = opts.binary ?? 'docker';
  const run = opts.run ?? createExecaRunner();
  const globalArgs = opts.host ? ['-H', opts.host] : [];

  /** Run the docker CLI; throws only when the CLI or daemon is unreachable. */
  async function docker(args: string[], runOptions?: RunOptions): Promise<ProcessResult> {
    log.debug({ args: redactEnvArgs(args) }, 'docker');
    const result = await run(binary, [...globalArgs, ...args], runOptions);
    if (result.spawnError) {
      throw new RuntimeUnavailableError(
        RUNTIME,
        `cannot run ${binary} (${result.spawnError.code ?? result.spawnError.message}); install it with \`apt-get install -y docker.io\``,
        { cause: result.spawnError },
      );
    }
    if (result.exitCode !== 0 && isUnavailable(result.stderr)) {
      throw new RuntimeUnavailableError(RUNTIME, result.stderr.trim());
    }
    return result;
  }

  function failed(what: string, result: ProcessResult): RuntimeCommandError {
    return new RuntimeCommandError(RUNTIME, `${what}: ${result.stderr.trim() || `exit code ${result.exitCode}`}`, result.exitCode);
  }

  async function inspectMany(ids: string[]): Promise<DockerInspect[]> {
    if (ids.length === 0) return [];
    const result = await docker(['inspect', '--type', 'container', ...ids]);
    // With several ids, docker prints the ones it found and exits 1 for any that vanished meanwhile.
    if (result.exitCode !== 0 && !(isNoSuchContainer(result.stderr) && result.stdout.trim().startsWith('['))) {
      if (ids.length === 1 && isNoSuchContainer(result.stderr)) throw new ContainerNotFoundError(RUNTIME, ids[0]!);
      throw failed(`inspect ${ids.join(' ')}`, result);
    }
    return JSON.parse(result.stdout) as DockerInspect[];
  }

  async function imagePresent(image: string): Promise<boolean> {
    const result = await docker(['image', 'inspect', '--format', '{{.Id}}', image]);
    if (result.exitCode === 0) return true;
    if (/No such image/i.test(result.stderr)) return false;
    throw failed(`image inspect ${image}`, result);
  }

  return {
    name: 'docker',

    async version() {
      const result = await docker(['version', '--format', '{{.Server.Version}}']);
      if (result.exitCode !== 0) throw new RuntimeUnavailableError(RUNTIME, result.stderr.trim() || 'docker version failed');
      return `docker://${result.stdout.trim()}`;
    },

    async ensureImage(image: string, policy: PullPolicy) {
      if (policy !== 'Always' && (await imagePresent(image))) return;
      if (policy === 'Never') {
        throw new ImageNotFoundError(RUNTIME, image, `image ${image} is not present and imagePullPolicy is Never`);
      }
      log.info({ image }, 'pulling image');
      const result = await docker(['pull', '--quiet', image]);
      if (result.exitCode !== 0) {
        throw new ImagePullError(RUNTIME, image, `pull ${image} failed: ${result.stderr.trim()}`);
      }
    },

    async listImages() {
      // an image removed between the listing and the inspect fails the inspect: list again (bounded)
      for (let attempt = 1; ; attempt++) {
        const ids = await docker(['images', '--quiet', '--no-trunc']);
        if (ids.exitCode !== 0) throw failed('images', ids);
        const unique = [...new Set(ids.stdout.split('\n').map((l) => l.trim()).filter(Boolean))];
        if (unique.length === 0) return [];
        const result = await docker(['image', 'inspect', ...unique]);
        if (result.exitCode === 0) return parseDockerImageInspect(result.stdout);
        if (!/No such image/i.test(result.stderr) || attempt >= 3) throw failed('image inspect', result);
      }
    },

    watch(onChange) {
      return startLineStream({
        file: binary,
        args: [...globalArgs, 'events', '--filter', 'type=container', '--filter', `label=${RUNTIME_LABELS.managed}=true`, '--format', '{{.Action}}'],
        onLine: (line) => {
          const action = line.trim();
          if (WATCHED_ACTIONS.has(action)) onChange(`docker ${action}`);
        },
        onStart: () => onChange('docker events watch started'),
        logger: log,
      });
    },

    async create(spec: ContainerSpec) {
      checkSpec(RUNTIME, spec);
      const result = await withEnvFile(spec.env, (envFile, inline) => docker(dockerCreateArgs(spec, envFile, inline)));
      if (result.exitCode === 0) {
        const id = result.stdout.trim().split('\n').pop() ?? '';
        log.info({ id, name: spec.name, image: spec.image }, 'created container');
        return id;
      }
      if (/Conflict\. The container name .* is already in use/i.test(result.stderr)) {
        throw new ContainerExistsError(RUNTIME, spec.name);
      }
      if (/No such image|pull access denied|Unable to find image/i.test(result.stderr)) {
        throw new ImageNotFoundError(RUNTIME, spec.image, result.stderr.trim());
      }
      if (/invalid|unknown flag|bad format/i.test(result.stderr)) {
        throw new InvalidSpecError(RUNTIME, `create ${spec.name}: ${result.stderr.trim()}`);
      }
      throw failed(`create ${spec.name}`, result);
    },

    async start(id: string) {
      const result = await docker(['start', id]);
      if (result.exitCode === 0) return;
      if (isNoSuchContainer(result.stderr)) throw new ContainerNotFoundError(RUNTIME, id);
      throw failed(`start ${id}`, result);
    },

    async stop(id: string, graceSeconds: number) {
      const grace = Math.max(0, Math.ceil(graceSeconds));
      const result = await docker(['stop', '--time', String(grace), id]);
      if (result.exitCode === 0) return;
      if (isNoSuchContainer(result.stderr)) throw new ContainerNotFoundError(RUNTIME, id);
      throw failed(`stop ${id}`, result);
    },

    async remove(id: string) {
      const result = await docker(['rm', '--force', '--volumes', id]);
      if (result.exitCode === 0 || isNoSuchContainer(result.stderr)) return;
      throw failed(`rm ${id}`, result);
    },

    async list(labels: Record<string, string> = {}) {
      const args = ['ps', '--all', '--no-trunc', '--format', '{{.ID}}'];
      for (const [k, v] of Object.entries(managedLabels(labels))) args.push('--filter', `label=${k}=${v}`);
      const result = await docker(args);
      if (result.exitCode !== 0) throw failed('ps', result);
      const ids = result.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
      const raw = await inspectMany(ids);
      const host = memoHostIp();
      // docker's label filter is exact; re-check so a race with relabelling can never leak a foreign container.
      return raw
        .map((r) => toContainerInfo(r, host))
        .filter((c) => c.labels[RUNTIME_LABELS.managed] === 'true' && Object.entries(labels).every(([k, v]) => c.labels[k] === v));
    },

    async inspect(id: string) {
      const [raw] = await inspectMany([id]);
      if (!raw) throw new ContainerNotFoundError(RUNTIME, id);
      return toContainerInfo(raw, memoHostIp());
    },

    async logs(id: string, options: LogOptions = {}) {
      const args = ['logs'];
      if (options.tailLines !== undefined) args.push('--tail', String(options.tailLines));
      args.push(id);
      const result = await docker(args, { all: true });
      if (result.exitCode === 0) return result.all ?? result.stdout + result.stderr;
      if (isNoSuchContainer(result.stderr)) throw new ContainerNotFoundError(RUNTIME, id);
      throw failed(`logs ${id}`, result);
    },

    async exec(id: string, argv: string[], timeoutMs?: number): Promise<ExecResult> {
      if (argv.length === 0) throw new InvalidSpecError(RUNTIME, 'exec needs a command');
      const result = await docker(['exec', id, ...argv], timeoutMs === undefined ? {} : { timeoutMs });
      if (result.timedOut) throw new RuntimeCommandError(RUNTIME, `exec in ${id} timed out after ${timeoutMs} ms`, undefined);
      if (result.exitCode !== 0 && /^Error response from daemon/m.test(result.stderr)) {
        if (isNoSuchContainer(result.stderr)) throw new ContainerNotFoundError(RUNTIME, id);
        throw failed(`exec in ${id}`, result);
      }
      return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

function memoHostIp(): () => string {
  let ip: string | undefined;
  return () => (ip ??= hostAddress());
}

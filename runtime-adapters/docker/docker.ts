/**
 * The Docker adapter: drives the docker CLI (`docker create` + `docker start`; default bridge network, or the
 * network of the pod's sandbox container when the spec names one (`network.mode` container),
 * `--pull never`: images arrive only through ensureImage). What a container is comes from
 * `docker inspect` (inspect.ts); its create arguments from create-args.ts.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../protocol/logger.js';
import { RUNTIME_LABELS } from '../../protocol/pod-helpers.js';
import { ContainerExistsError, ContainerNotFoundError, ImageNotFoundError, ImagePullError, InvalidSpecError, RuntimeCommandError, RuntimeUnavailableError } from '../errors.js';
import { withEnvFile } from '../env-file.js';
import { startLineStream } from '../event-stream.js';
import { hostAddress } from '../host-address.js';
import { parseDockerImageInspect } from '../image-list.js';
import { hubImageRef, writeDockerConfig, type HubImageSource } from '../hub-images.js';
import { startStreamingProcess } from '../streaming-process.js';
import { createExecaRunner, type ProcessRunner } from '../process-runner.js';
import type { ContainerRuntime, ContainerSpec, ExecResult, LogOptions, PullPolicy } from '../runtime.js';
import { createRuntimeCli } from '../runtime-cli.js';
import { checkNetworkMode, checkRunAsNonRoot, checkSpec, managedLabels } from '../spec-checks.js';
import { dockerCreateArgs, dockerCreateEnv } from './create-args.js';
import { toContainerInfo, type DockerInspect } from './inspect.js';

/** This adapter passes test/contract/ for this version of the interface. */
export const conformsTo = 'ContainerRuntime/v1';

/** Where dockerd looks for a registry's CA. */
export const DOCKER_CERTS_DIR = '/etc/docker/certs.d';

export interface DockerRuntimeOptions {
  /** dockerd's registry certificates directory (default /etc/docker/certs.d), for pulls from the hub. */
  certsDir?: string;
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

function isUnavailable(stderr: string): boolean {
  return /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|docker\.sock: connect: permission denied/i.test(
    stderr,
  );
}

function isNoSuchContainer(stderr: string): boolean {
  return /No such container|No such object/i.test(stderr);
}

export function createDockerRuntime(opts: DockerRuntimeOptions): ContainerRuntime {
  const log = opts.logger.child({ component: 'runtime-docker' });
  const binary = opts.binary ?? 'docker';
  const run = opts.run ?? createExecaRunner();
  const globalArgs = opts.host ? ['-H', opts.host] : [];

  const cli = createRuntimeCli({
    runtime: RUNTIME,
    command: 'docker',
    binary,
    globalArgs,
    packages: 'docker.io',
    isUnreachable: isUnavailable,
    errorText: (stderr) => stderr.trim(),
    run,
    logger: log,
  });
  const docker = cli.run;
  const failed = cli.failed;

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

  /**
   * dockerd verifies a registry against /etc/docker/certs.d/<host:port>/ca.crt (no restart needed); loopback
   * registries are trusted without it. Written when the directory is writable (the agent runs as root on a device).
   */
  async function trustHubCa(source: HubImageSource): Promise<void> {
    const dir = join(opts.certsDir ?? DOCKER_CERTS_DIR, source.host);
    try {
      await mkdir(dir, { recursive: true, mode: 0o755 });
      await copyFile(source.caFile, join(dir, 'ca.crt'));
    } catch (err) {
      log.warn({ err, dir }, 'cannot install the hub CA for dockerd: pulls from the hub work only if it already trusts it');
    }
  }

  async function imagePresent(image: string): Promise<boolean> {
    const result = await docker(['image', 'inspect', '--format', '{{.Id}}', image]);
    if (result.exitCode === 0) return true;
    if (/No such image/i.test(result.stderr)) return false;
    throw failed(`image inspect ${image}`, result);
  }

  /** The image's USER ("" when it names none: root). */
  async function userOfImage(image: string): Promise<string> {
    const result = await docker(['image', 'inspect', '--format', '{{.Config.User}}', image]);
    if (result.exitCode === 0) return result.stdout.trim();
    if (/No such image/i.test(result.stderr)) throw new ImageNotFoundError(RUNTIME, image, result.stderr.trim());
    throw failed(`image inspect ${image}`, result);
  }

  return {
    name: 'docker',
    // the cgroupfs driver's docker/ID, else the systemd driver's scope (cgroup v1 and v2 alike)
    cgroupPaths: (id) => [`docker/${id}`, `system.slice/docker-${id}.scope`],

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

    async pullImageFromHub(image, source) {
      const remote = hubImageRef(source.host, image);
      const config = await writeDockerConfig(source);
      await trustHubCa(source);
      log.info({ image, from: source.host }, 'pulling image from the hub');
      const pulled = await docker(['--config', config, 'pull', '--quiet', remote], { timeoutMs: 30 * 60_000 });
      if (pulled.exitCode !== 0) throw new ImagePullError(RUNTIME, image, `pull ${remote} from the hub failed: ${pulled.stderr.trim()}`);
      const tagged = await docker(['tag', remote, image]);
      if (tagged.exitCode !== 0) throw new ImagePullError(RUNTIME, image, `tag ${remote} as ${image} failed: ${tagged.stderr.trim()}`);
      const removed = await docker(['rmi', remote]);
      if (removed.exitCode !== 0) log.warn({ image: remote, error: removed.stderr.trim() }, 'could not untag the hub name of a pulled image');
    },

    async deleteImage(image) {
      const result = await docker(['rmi', image]);
      if (result.exitCode !== 0) throw failed(`rmi ${image}`, result);
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
      checkNetworkMode(RUNTIME, spec, ['container']);
      const security = spec.security;
      const imageUser = security?.runAsUser === undefined && (security?.runAsNonRoot || security?.runAsGroup !== undefined) ? await userOfImage(spec.image) : '';
      checkRunAsNonRoot(RUNTIME, security, imageUser);
      // values in a 0600 env file, or (those holding a newline) in the docker CLI's environment: never in its argv
      const result = await withEnvFile(spec.env, (envFile, inline) =>
        docker(dockerCreateArgs(spec, envFile, inline, imageUser), { env: dockerCreateEnv(spec, envFile, inline) }),
      );
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

    async execStream(id, argv, options) {
      if (argv.length === 0) throw new InvalidSpecError(RUNTIME, 'exec needs a command');
      const flags = [...(options.stdin ? ['--interactive'] : []), ...(options.tty ? ['--tty'] : [])];
      return startStreamingProcess(binary, [...globalArgs, 'exec', ...flags, id, ...argv], options, RUNTIME);
    },

    async attachStream(id, options) {
      const made = await docker(['inspect', '--type', 'container', '--format', '{{.Config.Tty}} {{.Config.OpenStdin}}', id]);
      if (made.exitCode !== 0) {
        if (isNoSuchContainer(made.stderr)) throw new ContainerNotFoundError(RUNTIME, id);
        throw failed(`inspect ${id}`, made);
      }
      const [tty, openStdin] = made.stdout.trim().split(' ').map((v) => v === 'true');
      const stdin = options.stdin && Boolean(openStdin);
      // no signal proxying (kubectl's ^C is a byte on stdin), and detach keys nobody types: Kubernetes has none
      const args = ['attach', '--sig-proxy=false', `--detach-keys=${DETACH_KEYS}`, ...(stdin ? [] : ['--no-stdin']), id];
      // a container with a terminal is attached to from one (docker refuses a pipe: "the input device is not a TTY")
      return startStreamingProcess(binary, [...globalArgs, ...args], { stdin, ...(tty ? { tty: options.tty ?? {} } : {}) }, RUNTIME);
    },

    async logStream(id, options) {
      const args = ['logs'];
      if (options.follow) args.push('--follow');
      if (options.tailLines !== undefined) args.push('--tail', String(options.tailLines));
      if (options.sinceMs !== undefined) args.push('--since', new Date(options.sinceMs).toISOString());
      if (options.timestamps) args.push('--timestamps');
      // docker logs writes the container's stderr on its own: both are the pod's log
      return startStreamingProcess(binary, [...globalArgs, ...args, id], { stdin: false }, RUNTIME);
    },
  };
}

/** `docker attach --detach-keys`: a sequence no one types (the default ctrl-p,ctrl-q would hold back every ctrl-p). */
const DETACH_KEYS = 'ctrl-^,ctrl-_,ctrl-^,ctrl-_,ctrl-^,ctrl-_';

function memoHostIp(): () => string {
  let ip: string | undefined;
  return () => (ip ??= hostAddress());
}

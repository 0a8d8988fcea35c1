/**
 * An in-memory ContainerRuntime for unit tests of the agent. Containers "run" until stopped; what a container
 * does is chosen by its argv (command + args, Kubernetes semantics over a fake image whose CMD is
 * ["fake", "run"]):
 *
 *   fake run                      run until stopped; SIGTERM ends it with 143   (also: any argv not below)
 *   fake exit CODE [LINE...]      print the lines, then exit with CODE
 *   fake trap-term                run until stopped; exits 0 on SIGTERM
 *   fake ignore-term              ignore SIGTERM; only the SIGKILL after the grace period ends it (137)
 *   fake http PORT BODY           serve BODY over real HTTP on 127.0.0.1:hostPort of the mapping for PORT
 *   fake print-env NAME FILE      print env NAME, the working dir and the host file mounted at FILE; exit 0
 *
 * exec: `fake-exec OUT ERR CODE` prints OUT / ERR and returns CODE; any other argv returns 0 with no output.
 * Test hooks (FakeRuntime.hooks) make a container exit, images appear or vanish, pulls fail, the daemon go down.
 */
import { randomUUID } from 'node:crypto';
import { silentLogger, type Logger } from '../../protocol/logger.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { ContainerExistsError, ContainerNotFoundError, ImageNotFoundError, ImagePullError, InvalidSpecError, RuntimeCommandError, RuntimeUnavailableError } from '../errors.js';
import { tailLogLines } from '../log-tail.js';
import type { ContainerRuntime, ContainerSpec, ExecResult, LogOptions, PullPolicy } from '../runtime.js';
import { checkSpec, managedLabels, resolveArgv } from '../spec-checks.js';
import { containerInfo, fakeVerb, finishContainer, runBehaviour, type FakeContainer } from './fake-container.js';

/** This adapter passes test/contract/ for this version of the interface. */
export const conformsTo = 'ContainerRuntime/v1';

const RUNTIME = 'fake';
const FAKE_IMAGE_CONFIG = { entrypoint: [], cmd: ['fake', 'run'] };

export interface FakeRuntimeOptions {
  logger?: Logger;
  clock?: () => number;
  /** Images present at start; default ["drover.local/busybox:test"]. */
  images?: string[];
  /** Platforms listImages() reports per image; images not named here report none (unknown). */
  imagePlatforms?: Record<string, string[]>;
  /** Images a pull can fetch (it makes them present); every other pull fails. */
  pullable?: string[];
  version?: string;
  /** Reported as the IP of every container; default 127.0.0.1. */
  ip?: string;
}

export interface FakeRuntimeHooks {
  /** Make a running container exit now with this code (and optional reason such as "OOMKilled"). */
  exitContainer(id: string, exitCode: number, reason?: string): Promise<void>;
  /** Append to a container's log. */
  appendLog(id: string, text: string): void;
  addImage(image: string): void;
  removeImage(image: string): void;
  setPullable(image: string, pullable: boolean): void;
  /** While true, every call throws RuntimeUnavailableError. */
  setUnavailable(unavailable: boolean): void;
  /** Every runtime call so far, as "method arg" strings, oldest first. */
  readonly calls: string[];
}

export interface FakeRuntime extends ContainerRuntime {
  readonly hooks: FakeRuntimeHooks;
  /** Stop every fake HTTP server and timer. */
  close(): Promise<void>;
}

export function createFakeRuntime(opts: FakeRuntimeOptions = {}): FakeRuntime {
  const log = (opts.logger ?? silentLogger()).child({ component: 'runtime-fake' });
  const clock = opts.clock ?? Date.now;
  const images = new Set(opts.images ?? ['drover.local/busybox:test']);
  const pullable = new Set(opts.pullable ?? []);
  const containers = new Map<string, FakeContainer>();
  const calls: string[] = [];
  let unavailable = false;

  const now = (): string => preciseTimestamp(clock());

  function enter(method: string, arg = ''): void {
    calls.push(arg ? `${method} ${arg}` : method);
    if (unavailable) throw new RuntimeUnavailableError(RUNTIME, 'the fake daemon is down (test hook)');
  }

  function find(idOrName: string): FakeContainer {
    const c = containers.get(idOrName) ?? [...containers.values()].find((x) => x.spec.name === idOrName);
    if (!c) throw new ContainerNotFoundError(RUNTIME, idOrName);
    return c;
  }

  async function finish(c: FakeContainer, exitCode: number, reason?: string): Promise<void> {
    if (c.state !== 'running') return;
    await finishContainer(c, exitCode, now(), reason);
    log.debug({ id: c.id, exitCode }, 'fake container exited');
  }

  const runtime: FakeRuntime = {
    name: 'fake',

    async version() {
      enter('version');
      return `fake://${opts.version ?? '1.0.0'}`;
    },

    async ensureImage(image: string, policy: PullPolicy) {
      enter('ensureImage', image);
      if (policy !== 'Always' && images.has(image)) return;
      if (policy === 'Never') throw new ImageNotFoundError(RUNTIME, image, `image ${image} is not present and imagePullPolicy is Never`);
      if (!pullable.has(image)) throw new ImagePullError(RUNTIME, image, `pull ${image} failed: not pullable (test hook)`);
      images.add(image);
    },

    async listImages() {
      enter('listImages');
      return [...images].map((name) => {
        const platforms = opts.imagePlatforms?.[name];
        return platforms ? { name, platforms: [...platforms] } : { name };
      });
    },

    async create(spec: ContainerSpec) {
      enter('create', spec.name);
      checkSpec(RUNTIME, spec);
      if ([...containers.values()].some((c) => c.spec.name === spec.name)) throw new ContainerExistsError(RUNTIME, spec.name);
      if (!images.has(spec.image)) throw new ImageNotFoundError(RUNTIME, spec.image, `image ${spec.image} is not present`);
      const argv = resolveArgv(FAKE_IMAGE_CONFIG, spec.command, spec.args);
      if (argv.length === 0) throw new InvalidSpecError(RUNTIME, `container ${spec.name}: nothing to run`);
      const id = randomUUID().replace(/-/g, '');
      containers.set(id, {
        id,
        spec: structuredClone(spec),
        labels: managedLabels(spec.labels),
        argv,
        state: 'created',
        createdAt: now(),
        log: '',
        servers: [],
        sockets: new Set(),
        onExit: [],
        timers: [],
      });
      return id;
    },

    async start(id: string) {
      enter('start', id);
      const c = find(id);
      if (c.state === 'running') return;
      c.state = 'running';
      c.startedAt = now();
      delete c.exitCode;
      delete c.finishedAt;
      delete c.reason;
      try {
        await runBehaviour(c, (exitCode) => finish(c, exitCode));
      } catch (err) {
        await finish(c, 128, (err as Error).message);
        throw new RuntimeCommandError(RUNTIME, `start ${id}: ${(err as Error).message}`, undefined, { cause: err });
      }
    },

    async stop(id: string, graceSeconds: number) {
      enter('stop', id);
      const c = find(id);
      if (c.state !== 'running') return;
      const verb = fakeVerb(c);
      if (verb === 'ignore-term') {
        const exited = new Promise<void>((resolve) => c.onExit.push(resolve));
        const timer = setTimeout(() => void finish(c, 137), Math.max(0, graceSeconds) * 1000);
        await exited;
        clearTimeout(timer);
        return;
      }
      await finish(c, verb === 'trap-term' ? 0 : 143);
    },

    async remove(id: string) {
      enter('remove', id);
      const c = containers.get(id) ?? [...containers.values()].find((x) => x.spec.name === id);
      if (!c) return;
      await finish(c, 137);
      containers.delete(c.id);
    },

    async list(labels: Record<string, string> = {}) {
      enter('list');
      const wanted = managedLabels(labels);
      return [...containers.values()]
        .filter((c) => Object.entries(wanted).every(([k, v]) => c.labels[k] === v))
        .map((c) => containerInfo(c, opts.ip ?? '127.0.0.1'));
    },

    async inspect(id: string) {
      enter('inspect', id);
      return containerInfo(find(id), opts.ip ?? '127.0.0.1');
    },

    async logs(id: string, options: LogOptions = {}) {
      enter('logs', id);
      return tailLogLines(find(id).log, options.tailLines);
    },

    async exec(id: string, argv: string[]): Promise<ExecResult> {
      enter('exec', id);
      const c = find(id);
      if (c.state !== 'running') throw new RuntimeCommandError(RUNTIME, `exec in ${id}: container is not running`, undefined);
      if (argv[0] === 'fake-exec') {
        return { exitCode: Number(argv[3] ?? 0), stdout: `${argv[1] ?? ''}\n`, stderr: `${argv[2] ?? ''}\n` };
      }
      return { exitCode: 0, stdout: '', stderr: '' };
    },

    hooks: {
      async exitContainer(id, exitCode, reason) {
        await finish(find(id), exitCode, reason);
      },
      appendLog(id, text) {
        find(id).log += text;
      },
      addImage: (image) => void images.add(image),
      removeImage: (image) => void images.delete(image),
      setPullable: (image, on) => void (on ? pullable.add(image) : pullable.delete(image)),
      setUnavailable: (down) => {
        unavailable = down;
      },
      calls,
    },

    async close() {
      await Promise.all([...containers.values()].map((c) => finish(c, 137)));
    },
  };

  return runtime;
}

/**
 * The ContainerRuntime contract suite (test harness in the manner of Nomad's driver harness). Every adapter
 * runs it: test/contract/{docker,containerd,fake}.test.ts. A subject supplies the runtime plus what the
 * suite cannot do through the interface (create a foreign container, build a runtime whose daemon is down)
 * and the workloads: the command lines that make a container print, exit, trap or ignore SIGTERM, serve HTTP.
 */
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ContainerExistsError,
  ContainerNotFoundError,
  ImageNotFoundError,
  ImagePullError,
  RuntimeUnavailableError,
} from '../../runtime-adapters/errors.js';
import type { ContainerInfo, ContainerRuntime, ContainerSpec } from '../../runtime-adapters/runtime.js';

export type Workload = Pick<ContainerSpec, 'command' | 'args'>;

export interface Workloads {
  /** Print each line on stdout, then exit with exitCode. */
  printAndExit(lines: string[], exitCode: number): Workload;
  /** Run until stopped; handles SIGTERM by exiting 0 at once. */
  trapTerm(): Workload;
  /** Run until killed; ignores SIGTERM. */
  ignoreTerm(): Workload;
  /** Serve `body` at / over HTTP on containerPort. */
  httpServer(containerPort: number, body: string): Workload;
  /** Print the env var `envName`, the working directory and the file's contents, one per line; exit 0. */
  printEnvCwdFile(envName: string, file: string): Workload;
  /** An exec argv that prints `out` on stdout and `err` on stderr, then exits with exitCode. */
  execScript(out: string, err: string, exitCode: number): string[];
}

export interface ContractSubject {
  runtime: ContainerRuntime;
  /** An image present locally. */
  image: string;
  /** The platforms listImages() must report for `image`, when the runtime knows them. */
  imagePlatforms?: string[];
  workloads: Workloads;
  /** Create (and start) a container directly, without Drover's labels; returns a cleanup. */
  createForeignContainer(name: string): Promise<() => Promise<void>>;
  /** The same adapter pointed at a daemon that does not answer. */
  unavailableRuntime(): ContainerRuntime;
  /** Release anything the subject holds. */
  close?(): Promise<void>;
}

export const POD_UID = 'io.drover.pod.uid';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: lastError });
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function describeRuntimeContract(name: string, makeSubject: () => Promise<ContractSubject>): void {
  describe(`ContainerRuntime contract: ${name}`, () => {
    let subject: ContractSubject;
    let rt: ContainerRuntime;
    const runId = randomBytes(3).toString('hex');
    const created: string[] = [];
    let seq = 0;

    const uniqueName = (what: string) => `drover-ct-${runId}-${what}-${++seq}`;

    function spec(what: string, workload: Workload, extra: Partial<ContainerSpec> = {}): ContainerSpec {
      return {
        name: uniqueName(what),
        image: subject.image,
        env: {},
        ports: [],
        mounts: [],
        labels: { [POD_UID]: `uid-${runId}-${seq}`, 'io.drover.container': what },
        hostNetwork: false,
        ...workload,
        ...extra,
      };
    }

    async function createStarted(s: ContainerSpec): Promise<string> {
      const id = await rt.create(s);
      created.push(id);
      await rt.start(id);
      return id;
    }

    async function waitExited(id: string): Promise<ContainerInfo> {
      return waitFor(`container ${id} to exit`, async () => {
        const info = await rt.inspect(id);
        return info.state === 'exited' ? info : undefined;
      });
    }

    beforeAll(async () => {
      subject = await makeSubject();
      rt = subject.runtime;
    });

    afterEach(async () => {
      for (const id of created.splice(0)) await rt.remove(id);
    });

    afterAll(async () => {
      await subject?.close?.();
    });

    it('reports its version as name://version', async () => {
      const v = await rt.version();
      expect(v).toMatch(new RegExp(`^${rt.name}://\\d+`));
    });

    it('ensureImage: a present image passes under every policy but Always, and is listed', async () => {
      await rt.ensureImage(subject.image, 'IfNotPresent');
      await rt.ensureImage(subject.image, 'Never');
      const images = await rt.listImages();
      const entry = images.find((i) => i.name === subject.image || i.name.endsWith(`/${subject.image}`));
      expect(entry).toBeDefined();
      if (subject.imagePlatforms) expect(entry?.platforms).toEqual(subject.imagePlatforms);
    });

    it('ensureImage: a missing image is ImageNotFoundError under Never and ImagePullError otherwise', async () => {
      const missing = `registry.invalid/drover-missing-${runId}:1`;
      await expect(rt.ensureImage(missing, 'Never')).rejects.toBeInstanceOf(ImageNotFoundError);
      await expect(rt.ensureImage(missing, 'IfNotPresent')).rejects.toBeInstanceOf(ImagePullError);
      await expect(rt.ensureImage(missing, 'Always')).rejects.toBeInstanceOf(ImagePullError);
    });

    it('creates, starts, inspects and lists a container with its labels', async () => {
      const s = spec('run', subject.workloads.trapTerm());
      const id = await rt.create(s);
      created.push(id);
      const before = await rt.inspect(id);
      expect(before.state).toBe('created');
      await rt.start(id);
      const info = await waitFor('running', async () => {
        const i = await rt.inspect(id);
        return i.state === 'running' ? i : undefined;
      });
      expect(info.id).toBe(id);
      expect(info.labels[POD_UID]).toBe(s.labels[POD_UID]);
      expect(info.labels['io.drover.managed']).toBe('true');
      expect(info.startedAt).toBeDefined();
      expect(info.exitCode).toBeUndefined();
      expect(info.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const listed = await rt.list({ [POD_UID]: s.labels[POD_UID]! });
      expect(listed.map((c) => c.id)).toEqual([id]);
      expect(listed[0]!.state).toBe('running');
      expect((await rt.list()).map((c) => c.id)).toContain(id);
    });

    it('refuses a second container with the same name', async () => {
      const s = spec('dup', subject.workloads.trapTerm());
      created.push(await rt.create(s));
      await expect(rt.create(s)).rejects.toBeInstanceOf(ContainerExistsError);
    });

    it('lists by label: only the containers carrying every requested label', async () => {
      const a = spec('a', subject.workloads.trapTerm());
      const b = spec('b', subject.workloads.trapTerm());
      const idA = await rt.create(a);
      created.push(idA);
      const idB = await rt.create(b);
      created.push(idB);
      const onlyA = await rt.list({ [POD_UID]: a.labels[POD_UID]! });
      expect(onlyA.map((c) => c.id)).toEqual([idA]);
      const none = await rt.list({ [POD_UID]: a.labels[POD_UID]!, 'io.drover.container': 'b' });
      expect(none).toEqual([]);
      const all = (await rt.list()).map((c) => c.id);
      expect(all).toEqual(expect.arrayContaining([idA, idB]));
    });

    it('keeps the exit code, finish time and logs of a container that exited', async () => {
      const id = await createStarted(spec('exit', subject.workloads.printAndExit(['hello', 'world'], 3)));
      const info = await waitExited(id);
      expect(info.exitCode).toBe(3);
      expect(info.finishedAt).toBeDefined();
      expect(Date.parse(info.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(info.startedAt!));
      const logs = await rt.logs(id);
      expect(logs).toContain('hello\n');
      expect(logs).toContain('world\n');
      const tail = await rt.logs(id, { tailLines: 1 });
      expect(tail).toContain('world');
      expect(tail).not.toContain('hello');
      // still there, still exited, until removed
      expect((await rt.list({ [POD_UID]: info.labels[POD_UID]! }))[0]?.exitCode).toBe(3);
    });

    it('an exited container can be started again: a new run, a new exit, logs kept', async () => {
      const id = await createStarted(spec('again', subject.workloads.printAndExit(['run'], 5)));
      const first = await waitExited(id);
      expect(first.exitCode).toBe(5);
      await rt.start(id);
      const second = await waitFor('the second run to exit', async () => {
        const i = await rt.inspect(id);
        return i.state === 'exited' && i.startedAt !== first.startedAt ? i : undefined;
      });
      expect(second.exitCode).toBe(5);
      expect((await rt.logs(id)).match(/run\n/g)?.length).toBe(2);
    });

    it('exit code 0 is reported as 0', async () => {
      const id = await createStarted(spec('exit0', subject.workloads.printAndExit(['ok'], 0)));
      const info = await waitExited(id);
      expect(info.exitCode).toBe(0);
    });

    it('passes env, working directory and read-only mounts', async () => {
      const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const dir = await mkdtemp(join(tmpdir(), 'drover-ct-'));
      try {
        await writeFile(join(dir, 'greeting.txt'), 'from-the-host\n');
        const s = spec('env', subject.workloads.printEnvCwdFile('GREETING', '/data/greeting.txt'), {
          env: { GREETING: 'hello there' },
          workingDir: '/tmp',
          mounts: [{ hostPath: dir, containerPath: '/data', readOnly: true }],
        });
        const id = await createStarted(s);
        const info = await waitExited(id);
        expect(info.exitCode).toBe(0);
        expect((await rt.logs(id)).split('\n').slice(0, 3)).toEqual(['hello there', '/tmp', 'from-the-host']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('exec runs a command in a running container and returns its output and exit code', async () => {
      const id = await createStarted(spec('exec', subject.workloads.trapTerm()));
      await waitFor('running', async () => ((await rt.inspect(id)).state === 'running' ? true : undefined));
      const r = await rt.exec(id, subject.workloads.execScript('out-line', 'err-line', 4));
      expect(r.exitCode).toBe(4);
      expect(r.stdout).toContain('out-line');
      expect(r.stderr).toContain('err-line');
      expect(r.stdout).not.toContain('err-line');
    });

    it('stop: a container that handles SIGTERM exits by itself within the grace period', async () => {
      const id = await createStarted(spec('trap', subject.workloads.trapTerm()));
      await waitFor('running', async () => ((await rt.inspect(id)).state === 'running' ? true : undefined));
      await rt.stop(id, 30);
      const info = await rt.inspect(id);
      expect(info.state).toBe('exited');
      expect(info.exitCode).toBe(0); // its own trap's exit, not SIGKILL's 137
    });

    it('stop: a container that ignores SIGTERM is killed after the grace period', async () => {
      const id = await createStarted(spec('ignore', subject.workloads.ignoreTerm()));
      await waitFor('running', async () => ((await rt.inspect(id)).state === 'running' ? true : undefined));
      const t0 = Date.now();
      await rt.stop(id, 2);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900); // it waited the grace before SIGKILL
      const info = await rt.inspect(id);
      expect(info.state).toBe('exited');
      expect(info.exitCode).toBe(137);
      await rt.stop(id, 2); // stopping a stopped container is not an error
    });

    it('remove: stops a running container hard, forgets it, and removing again is not an error', async () => {
      const s = spec('rm', subject.workloads.ignoreTerm());
      const id = await rt.create(s);
      await rt.start(id);
      await rt.remove(id);
      await expect(rt.inspect(id)).rejects.toBeInstanceOf(ContainerNotFoundError);
      expect(await rt.list({ [POD_UID]: s.labels[POD_UID]! })).toEqual([]);
      await rt.remove(id);
      // the name is free again
      const again = await rt.create(s);
      created.push(again);
      expect((await rt.inspect(again)).state).toBe('created');
    });

    it('inspect, start, stop and logs of an unknown container throw ContainerNotFoundError', async () => {
      const ghost = `drover-ct-${runId}-ghost`;
      await expect(rt.inspect(ghost)).rejects.toBeInstanceOf(ContainerNotFoundError);
      await expect(rt.start(ghost)).rejects.toBeInstanceOf(ContainerNotFoundError);
      await expect(rt.stop(ghost, 1)).rejects.toBeInstanceOf(ContainerNotFoundError);
      await expect(rt.logs(ghost)).rejects.toBeInstanceOf(ContainerNotFoundError);
    });

    it('a hostPort answers on 127.0.0.1 while the container runs', async () => {
      const containerPort = await freePort();
      const hostPort = await freePort();
      const body = `drover-${runId}`;
      const s = spec('http', subject.workloads.httpServer(containerPort, body), {
        ports: [{ containerPort, hostPort, protocol: 'TCP' }],
      });
      const id = await createStarted(s);
      const text = await waitFor('the http server to answer', async () => {
        const res = await fetch(`http://127.0.0.1:${hostPort}/`);
        return res.ok ? res.text() : undefined;
      });
      expect(text).toBe(body);
      await rt.remove(id);
      created.splice(created.indexOf(id), 1);
      await expect(fetch(`http://127.0.0.1:${hostPort}/`)).rejects.toThrow();
    });

    it('never lists a container it did not label', async () => {
      const foreignName = `drover-ct-${runId}-foreign`;
      const cleanup = await subject.createForeignContainer(foreignName);
      try {
        const all = await rt.list();
        expect(all.some((c) => c.name === foreignName || c.id.includes(foreignName))).toBe(false);
        for (const c of all) expect(c.labels['io.drover.managed']).toBe('true');
      } finally {
        await cleanup();
      }
    });

    it('a daemon that does not answer is RuntimeUnavailableError', async () => {
      const down = subject.unavailableRuntime();
      await expect(down.version()).rejects.toBeInstanceOf(RuntimeUnavailableError);
      await expect(down.list()).rejects.toBeInstanceOf(RuntimeUnavailableError);
    });
  });
}

/** Busybox command lines for the real runtimes (test image: busybox-static under /bin, CMD ["/bin/sh"]). */
export function busyboxWorkloads(): Workloads {
  const sh = (script: string): Workload => ({ command: ['/bin/sh', '-c', script] });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return {
    printAndExit: (lines, exitCode) => sh(`${lines.map((l) => `echo ${q(l)}`).join('; ')}; exit ${exitCode}`),
    trapTerm: () => sh(`trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done`),
    ignoreTerm: () => sh(`trap '' TERM; while true; do sleep 1; done`),
    httpServer: (port, body) =>
      sh(`mkdir -p /www && printf %s ${q(body)} > /www/index.html && exec httpd -f -p ${port} -h /www`),
    printEnvCwdFile: (envName, file) => sh(`echo "$${envName}"; pwd; cat ${q(file)}`),
    execScript: (out, err, exitCode) => ['/bin/sh', '-c', `echo ${q(out)}; echo ${q(err)} >&2; exit ${exitCode}`],
  };
}

/**
 * One fake container: its state, its output, the servers and timers its argv started, and what that argv
 * makes it do (the `fake ...` command language described in fake.ts).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { posix } from 'node:path';
import type { ContainerInfo, ContainerSpec } from '../runtime.js';

export interface FakeContainer {
  id: string;
  spec: ContainerSpec;
  labels: Record<string, string>;
  argv: string[];
  state: ContainerInfo['state'];
  exitCode?: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  reason?: string;
  log: string;
  servers: Server[];
  sockets: Set<Socket>;
  /** Resolves the wait of a stop() in progress when the container exits. */
  onExit: (() => void)[];
  timers: NodeJS.Timeout[];
}

/** The verb of a `fake VERB ...` argv; undefined for any other argv. */
export function fakeVerb(c: FakeContainer): string | undefined {
  return c.argv[0] === 'fake' ? c.argv[1] : undefined;
}

/** End a running container: its exit recorded, its timers, sockets and servers gone, stop() waits released. */
export async function finishContainer(c: FakeContainer, exitCode: number, finishedAt: string, reason?: string): Promise<void> {
  if (c.state !== 'running') return;
  c.state = 'exited';
  c.exitCode = exitCode;
  c.finishedAt = finishedAt;
  if (reason) c.reason = reason;
  for (const t of c.timers.splice(0)) clearTimeout(t);
  for (const s of c.sockets) s.destroy();
  await Promise.all(c.servers.splice(0).map((srv) => new Promise<void>((r) => srv.close(() => r()))));
  for (const resolve of c.onExit.splice(0)) resolve();
}

/** What a started container does, by its argv; `finish` ends it with an exit code. */
export async function runBehaviour(c: FakeContainer, finish: (exitCode: number) => Promise<void>): Promise<void> {
  const [head, verb, ...rest] = c.argv;
  if (head !== 'fake') return;
  if (verb === 'exit') {
    const [code, ...lines] = rest;
    for (const line of lines) c.log += `${line}\n`;
    c.timers.push(setTimeout(() => void finish(Number(code ?? 0)), 10));
  } else if (verb === 'http') {
    const port = Number(rest[0]);
    const body = rest[1] ?? '';
    for (const p of c.spec.ports.filter((m) => m.containerPort === port)) {
      const listenPort = p.hostPort ?? (c.spec.hostNetwork ? p.containerPort : undefined);
      if (listenPort === undefined) continue;
      const srv = createServer((_req, res) => res.end(body));
      srv.on('connection', (s) => {
        c.sockets.add(s);
        s.once('close', () => c.sockets.delete(s));
      });
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(listenPort, p.hostIP ?? '127.0.0.1', () => resolve());
      });
      c.servers.push(srv);
    }
  } else if (verb === 'print-env') {
    const [name, file] = rest;
    let content = '';
    const mount = c.spec.mounts.find((m) => file?.startsWith(`${m.containerPath}/`));
    if (mount && file) content = await readFile(posix.join(mount.hostPath, file.slice(mount.containerPath.length)), 'utf8');
    c.log += `${c.spec.env[name ?? ''] ?? ''}\n${c.spec.workingDir ?? '/'}\n${content}`;
    c.timers.push(setTimeout(() => void finish(0), 10));
  }
}

export function containerInfo(c: FakeContainer, ip: string): ContainerInfo {
  const i: ContainerInfo = {
    id: c.id,
    name: c.spec.name,
    image: c.spec.image,
    labels: { ...c.labels },
    state: c.state,
    createdAt: c.createdAt,
    ip,
  };
  if (c.startedAt) i.startedAt = c.startedAt;
  if (c.state === 'exited') {
    if (c.exitCode !== undefined) i.exitCode = c.exitCode;
    if (c.finishedAt) i.finishedAt = c.finishedAt;
  }
  if (c.reason) i.reason = c.reason;
  return i;
}

/**
 * Helpers for the attack and fuzz tests: a real hub in-process (mqtts and HTTPS on loopback, its own
 * CA), API calls trusting that CA, nodes joined through the agent's real join code, and Debian's
 * mosquitto clients (mosquitto_pub / mosquitto_sub), which nobody on this project wrote.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { createHub, type Hub } from '../../hub/hub.js';
import { createCaFetch } from '../../hub/cli/tls-fetch.js';
import { joinHub, type Credentials } from '../../agent/link/join.js';
import { silentLogger } from '../../protocol/logger.js';
import { parseJoinTokenString } from '../../protocol/join-token.js';

export interface SecureHub {
  hub: Hub;
  dir: string;
  /** Added to the hub's clock (to expire tokens). */
  advance(ms: number): void;
  mqttPort: number;
  api<T = unknown>(method: string, path: string, body?: unknown, token?: string, contentType?: string): Promise<{ status: number; body: T; headers: Headers }>;
  /** A new API token (admin only): `drover-api.<id>.<secret>` and its id. */
  createApiToken(role: 'admin' | 'edit' | 'view', namespace?: string): Promise<{ token: string; id: string }>;
  createJoinToken(o?: { ttlSeconds?: number; singleUse?: boolean }): Promise<string>;
  join(nodeName: string): Promise<Credentials>;
  close(): Promise<void>;
}

export async function startSecureHub(prefix: string): Promise<SecureHub> {
  const dir = await mkdtemp(join(tmpdir(), `drover-${prefix}-`));
  let offset = 0;
  const hub = await createHub({
    dataDir: join(dir, 'hub'),
    http: { host: '127.0.0.1', port: 0 },
    httpTls: true,
    mqtt: { host: '127.0.0.1', port: 0 },
    mqttTls: true,
    logger: silentLogger(),
    clock: () => Date.now() + offset,
  });
  const caFetch = createCaFetch(await import('node:fs/promises').then((fs) => fs.readFile(hub.caCertPath, 'utf8')));
  const api: SecureHub['api'] = async (method, path, body, token = hub.adminToken, contentType = 'application/json') => {
    const res = await caFetch(`${hub.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as never, headers: res.headers };
  };
  const createJoinToken: SecureHub['createJoinToken'] = async (o = {}) => {
    const r = await api<{ token: string }>('POST', '/apis/drover.io/v1/jointokens', { ttlSeconds: o.ttlSeconds ?? 600, ...(o.singleUse ? { singleUse: true } : {}) });
    if (r.status !== 201) throw new Error(`token create: HTTP ${r.status}`);
    return r.body.token;
  };
  const createApiToken: SecureHub['createApiToken'] = async (role, namespace) => {
    const r = await api<{ token: string; id: string }>('POST', '/apis/drover.io/v1/apitokens', { role, ...(namespace ? { namespace } : {}) });
    if (r.status !== 201) throw new Error(`API token create: HTTP ${r.status}`);
    return r.body;
  };
  return {
    hub,
    dir,
    createApiToken,
    advance: (ms) => {
      offset += ms;
    },
    mqttPort: Number(new URL(hub.mqttUrl).port),
    api,
    createJoinToken,
    async join(nodeName) {
      return joinHub({ hubUrl: hub.mqttUrl, token: await createJoinToken({ singleUse: true }), nodeName, logger: silentLogger(), timeoutMs: 10_000 });
    },
    async close() {
      await hub.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function bareToken(token: string): string {
  return parseJoinTokenString(token).bare;
}

export interface MosquittoResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** mosquitto_pub / mosquitto_sub against the hub over TLS, trusting `cafile` (default the hub CA). */
export async function mosquitto(
  tool: 'mosquitto_pub' | 'mosquitto_sub',
  h: SecureHub,
  args: string[],
  cafile = h.hub.caCertPath,
): Promise<MosquittoResult> {
  const r = await execa(tool, ['-h', '127.0.0.1', '-p', String(h.mqttPort), '--cafile', cafile, '-V', 'mqttv311', ...args], {
    reject: false,
    timeout: 20_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/**
 * Run a command in its own process group (a test's processes are ended with their group), wait for
 * it, and end whatever of the group is left.
 */
export async function runInGroup(file: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<MosquittoResult> {
  const child = execa(file, args, { reject: false, detached: true, ...(opts.input !== undefined ? { input: opts.input } : {}), env: { ...process.env, ...opts.env } });
  try {
    const r = await child;
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  } finally {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // ESRCH: the group had ended
      }
    }
  }
}

/** Poll `fn` until it answers something (the test's own timeout bounds the wait). */
export async function eventually<T>(fn: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

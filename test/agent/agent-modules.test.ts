/**
 * What the agent's processes load: the agent runs on devices with 512 MiB, so neither the agent process
 * nor the `drover agent` launcher that waits for it may hold hub-only modules (the hub, SQLite, the MQTT
 * broker, metrics), and the agent loads none of the modules its memory work took out (agent/README.md,
 * Memory): mqtt.js' WebSocket and SOCKS transports, the other runtime adapters, the parts of
 * systeminformation no fingerprinter uses, node:http/https/tls before something needs them.
 * A loader hook (--import, inherited by the child through NODE_OPTIONS) writes every ES module URL each
 * process loads to DIR/PID.modules; the same preload rewrites DIR/PID.cjs (every CommonJS file in the
 * require cache: nested require() calls do not pass the hook on Node 20) and DIR/PID.builtins (Node's own
 * modules, process.moduleLoadList) every 200 ms. The processes run from source through tsx.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub } from './fake-hub.js';
import { tempDir, waitUntil } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const HUB_ONLY = [/\/hub\//, /node_modules\/better-sqlite3\//, /node_modules\/aedes/, /node_modules\/prom-client\//];
/** Modules the agent must not load (it ran them once; see agent/README.md, Memory, for what each cost). */
const NOT_IN_AGENT: [RegExp, string][] = [
  [/node_modules\/(ws|socks|ip-address|smart-buffer)\//, "mqtt.js' ws/socks transports: agent/link/mqtt-transport.ts builds TCP/TLS streams itself"],
  [/\/runtime-adapters\/(containerd|fake)\//, 'another runtime adapter than the one in use (runtime-adapters/index.ts loads it on demand)'],
  [/node_modules\/systeminformation\/lib\/(?!(cpu|memory|osinfo|network|util)\.js$)/, 'systeminformation beyond cpu, memory, osinfo, network (agent/host/systeminformation.ts)'],
];
/** Node's own modules the agent loads only when it needs them: not on plain loopback MQTT without httpGet probes. */
const NOT_IN_IDLE_AGENT = ['NativeModule http', 'NativeModule https', 'NativeModule tls'];

const RECORDER = `
import { createRequire, register } from 'node:module';
import { appendFileSync, writeFileSync } from 'node:fs';
const out = process.env.MODULES_DIR + '/' + process.pid + '.modules';
appendFileSync(out, '');
const cache = createRequire(import.meta.url).cache;
setInterval(() => {
  writeFileSync(out.replace(/modules$/, 'cjs'), Object.keys(cache).join('\\n'));
  writeFileSync(out.replace(/modules$/, 'builtins'), process.moduleLoadList.join('\\n'));
}, 200).unref();
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(\${JSON.stringify(out)}, url + '\\\\n'); return next(url, context); }
\`));
`;

describe('modules loaded by the agent processes', () => {
  let hub: FakeHub;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    hub = await startFakeHub();
    ({ dir, cleanup } = await tempDir());
    await writeFile(join(dir, 'recorder.mjs'), RECORDER);
  });
  afterAll(async () => {
    await hub.close();
    await cleanup();
  });

  it('`drover agent` and the agent process it starts load no hub-only modules', async () => {
    const modulesDir = join(dir, 'modules');
    await mkdir(modulesDir);
    const args = ['agent', '--hub', hub.url, '--token', 'good-token', '--name', 'modules-test', '--runtime', 'docker', '--data-dir', join(dir, 'data'), '--status-interval', '1'];
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'hub/cli/main.ts'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MODULES_DIR: modulesDir, NODE_OPTIONS: `--import ${pathToFileURL(join(dir, 'recorder.mjs')).href}`, DROVER_LOG_LEVEL: 'info' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      // the first node status comes after every fingerprinter ran once
      await waitUntil('node status from the agent', () => hub.nodeStatus.some((s) => s.labels?.['kubernetes.io/hostname'] === 'modules-test'), 30_000);
      const files = (await readdir(modulesDir)).filter((f) => f.endsWith('.modules'));
      const byPid = new Map(await Promise.all(files.map(async (f) => [Number(f.split('.')[0]), (await readFile(join(modulesDir, f), 'utf8')).split('\n').filter(Boolean)] as const)));
      const launcher = byPid.get(child.pid!);
      const agentEntries = [...byPid.entries()].filter(([pid]) => pid !== child.pid);
      expect(launcher, output).toBeDefined();
      expect(agentEntries).toHaveLength(1);
      const agent = agentEntries[0]![1];

      // the recorder works: each process lists its own entry point and what it needs
      expect(launcher!.some((u) => u.endsWith('/hub/cli/agent-process.ts'))).toBe(true);
      expect(agent.some((u) => u.endsWith('/agent/agent.ts'))).toBe(true);
      expect(agent.some((u) => u.includes('node_modules/mqtt/'))).toBe(true);
      // ... from each of its folders
      for (const part of ['/agent/link/connection.ts', '/agent/pods/reconciler.ts', '/agent/host/collector.ts', '/runtime-adapters/docker/docker.ts']) {
        expect(agent.some((u) => u.endsWith(part)), part).toBe(true);
      }
      // the launcher starts the agent's entry point as a process; it loads none of the agent's code
      expect(launcher!.filter((u) => u.includes('/agent/') && !u.includes('/hub/'))).toEqual([]);

      // the launcher needs a few hub/cli files (main, the agent command, io, errors), not the program of every command
      expect(launcher!.filter((u) => u.endsWith('/hub/cli/program.ts'))).toEqual([]);
      expect(launcher!.filter((u) => !u.includes('/hub/cli/') && HUB_ONLY.some((re) => re.test(u)))).toEqual([]);
      expect(agent.filter((u) => HUB_ONLY.some((re) => re.test(u)))).toEqual([]);
      // host facts come from systeminformation (DESIGN.md), loaded by the agent only
      const agentPid = agentEntries[0]![0];
      await new Promise((r) => setTimeout(r, 500)); // a fresh dump of the require cache and Node's module list
      const agentCjs = (await readFile(join(modulesDir, `${agentPid}.cjs`), 'utf8')).split('\n').filter(Boolean);
      const agentBuiltins = (await readFile(join(modulesDir, `${agentPid}.builtins`), 'utf8')).split('\n');
      expect(agentCjs.some((f) => f.endsWith('node_modules/systeminformation/lib/cpu.js'))).toBe(true);
      expect(launcher!.filter((u) => u.includes('node_modules/systeminformation/'))).toEqual([]);

      // what the agent's memory work took out stays out (agent/README.md, Memory)
      expect(agentCjs.some((f) => f.includes('node_modules/mqtt/')), 'the CommonJS dump works').toBe(true);
      for (const [re, why] of NOT_IN_AGENT) {
        expect([...agent, ...agentCjs].filter((u) => re.test(u)), why).toEqual([]);
      }
      expect(agentBuiltins.filter((m) => NOT_IN_IDLE_AGENT.includes(m)), 'node:http, node:https, node:tls are loaded when first used').toEqual([]);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

/**
 * The agent's entry point as a real process (through tsx): joins, runs until SIGTERM, then exits 0
 * after publishing presence offline; without credentials or a token it exits 1 saying what to do.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub } from './fake-hub.js';
import { tempDir, waitUntil } from './helpers.js';

const MAIN = resolve(import.meta.dirname, '../../agent/main.ts');

function startMain(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DROVER_LOG_LEVEL: 'info' } });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, output: () => output };
}

describe('agent main (process)', () => {
  let hub: FakeHub;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    hub = await startFakeHub();
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(async () => {
    await hub.close();
    await cleanup();
  });

  it('exits 1 with advice when it has neither credentials nor a token', async () => {
    const p = startMain(['--hub', hub.url, '--name', 'no-token', '--runtime', 'docker', '--data-dir', `${dir}/none`]);
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('pass --token with a join token');
  });

  it('joins, comes online, and on SIGTERM goes offline and exits 0', async () => {
    const p = startMain(['--hub', hub.url, '--token', 'good-token', '--name', 'main-test', '--runtime', 'docker', '--data-dir', `${dir}/main`, '--status-interval', '1']);
    try {
      await waitUntil('node status from the process', () => hub.nodeStatus.some((s) => s.labels?.['kubernetes.io/hostname'] === 'main-test'), 30_000);
      expect(hub.presence.at(-1)?.state).toBe('online');
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(hub.presence.at(-1)?.state).toBe('offline');
      expect(p.output()).toContain('"msg":"agent started"');
    } finally {
      p.child.kill('SIGKILL');
    }
  });
});

/**
 * The runtime CLIs' runner on node:child_process: what the adapters relied on when it was execa (exit
 * codes as results, spawn errors, input, interleaved output, the environment, timeouts that end in
 * SIGKILL), with real programs.
 */
import { describe, expect, it } from 'vitest';
import { createProcessRunner, FORCE_KILL_AFTER_MS } from '../../runtime-adapters/process-runner.js';

const run = createProcessRunner();

describe('createProcessRunner', () => {
  it('returns stdout, stderr and a non-zero exit code as a result, final newline kept', async () => {
    const r = await run('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false });
    expect(r.spawnError).toBeUndefined();
    expect(r.all).toBeUndefined();
  });

  it('passes arguments as they are, never through a shell', async () => {
    const r = await run('printf', ['%s|', 'a b', '$HOME', ';echo x']);
    expect(r.stdout).toBe('a b|$HOME|;echo x|');
  });

  it('reports a program that cannot be started as spawnError, without an exit code', async () => {
    const r = await run('/nonexistent/drover-no-such-binary', []);
    expect(r.exitCode).toBeUndefined();
    expect(r.spawnError?.code).toBe('ENOENT');
  });

  it('feeds input to stdin, and stdin is empty without it', async () => {
    expect((await run('cat', [], { input: 'line 1\nline 2\n' })).stdout).toBe('line 1\nline 2\n');
    expect((await run('cat', [])).stdout).toBe('');
  });

  it('extends the environment with env', async () => {
    const r = await run('sh', ['-c', 'echo "$DROVER_RUNNER_TEST $PATH"'], { env: { DROVER_RUNNER_TEST: 'set' } });
    expect(r.stdout).toBe(`set ${process.env.PATH}\n`);
  });

  it('interleaves stdout and stderr in all when asked', async () => {
    const r = await run('sh', ['-c', 'echo 1; sleep 0.05; echo 2 >&2; sleep 0.05; echo 3'], { all: true });
    expect(r.all).toBe('1\n2\n3\n');
  });

  it('decodes UTF-8 split across chunks', async () => {
    const r = await run('sh', ['-c', "printf '\\303'; sleep 0.05; printf '\\251\\n'"]);
    expect(r.stdout).toBe('é\n');
  });

  it('ends a program past its timeout with SIGTERM and says timedOut', async () => {
    const t0 = Date.now();
    const r = await run('sleep', ['30'], { timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('kills a program that ignores the timeout SIGTERM after FORCE_KILL_AFTER_MS', async () => {
    const t0 = Date.now();
    // an ignored signal stays ignored across exec: sleep itself ignores SIGTERM, from its first instruction
    const r = await run('sh', ['-c', "trap '' TERM; exec sleep 30"], { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(FORCE_KILL_AFTER_MS);
  }, 20_000);
});

/**
 * Containers with stdin and a TTY, driven as a person drives them: the real kubectl 1.32 (support.ts
 * kubectlBinary) on a pseudo-terminal (util-linux `script`, through the agent's own startStreamingProcess:
 * typed input, the screen read back, the window resized with `stty -F` on kubectl's terminal, which sends
 * it SIGWINCH as a terminal emulator's resize does), against a hub and a real agent: `run -it --rm`,
 * `run -i`, `attach -it`, `attach -i`, and `exec -t` whose terminal is resized while it runs; on
 * containerd, and the same on Docker (but attach -i twice: Docker's CLI always makes stdin containers
 * stdinOnce).
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeNodeContainers, sleepPodManifest, waitFor, type Proc } from '../e2e/support.js';
import { applyPod, startCompatAgent } from './agent-support.js';
import { startCompatHub, type CompatHub } from './support.js';
import { kubectlOn } from './terminal-support.js';

const IMAGE = 'drover.local/busybox:test';

function consolePod(name: string, node: string, o: { tty: boolean; stdinOnce?: boolean; script?: string }): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  nodeName: ${node}
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${IMAGE}
      imagePullPolicy: Never
      stdin: true
      stdinOnce: ${o.stdinOnce ?? false}
      tty: ${o.tty}
      command: ${o.script ? JSON.stringify(['sh', '-c', o.script]) : '["sh"]'}
`;
}

async function podGone(h: CompatHub, name: string): Promise<void> {
  await waitFor(`pod ${name} gone`, async () => (await h.kubectl(['get', 'pod', name])).out.includes('NotFound'), 60_000);
}

function suite(runtime: 'containerd' | 'docker'): void {
  const node = `tty-${runtime}-${process.pid}`;
  let h: CompatHub;
  let agent: Proc;
  beforeAll(async () => {
    h = await startCompatHub(`tty-${runtime}`);
    agent = await startCompatAgent(h, node, runtime);
    await applyPod(h, sleepPodManifest({ name: 'sleeper', node }), 'sleeper');
  }, 180_000);
  afterAll(async () => {
    await h?.kubectl(['delete', 'pod', '--all', '--wait=true', '--timeout=60s']);
    await agent?.stop();
    await removeNodeContainers([node]);
    await h?.close();
  }, 120_000);

  it('run -it --rm: a shell on a terminal, typed into, resized, exit ends and deletes the pod', async () => {
    const t = kubectlOn(h, ['run', '-it', '--rm', `--image=${IMAGE}`, '--image-pull-policy=Never', '--restart=Never', 'shell', '--', 'sh'], true);
    await waitFor('pod shell Running', async () => (await h.kubectl(['get', 'pod', 'shell', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 90_000);
    // the attach is up once the typed line comes back
    await waitFor('the shell answers', async () => {
      t.type('echo hi-$((6*7))\n');
      await new Promise((r) => setTimeout(r, 500));
      return /hi-42/.test(t.screen());
    }, 60_000, 0);
    let from = t.screen().length;
    t.type('stty size\n');
    await t.see(/24 80/, from);
    from = t.screen().length;
    await t.resize(132, 40);
    await new Promise((r) => setTimeout(r, 500));
    t.type('stty size\n');
    await t.see(/40 132/, from);
    t.type('exit\n');
    expect(await t.exited, `${t.screen()}\n${t.errors()}`).toBe(0);
    expect(t.screen() + t.errors()).toMatch(/pod "shell" deleted/);
    await podGone(h, 'shell');
  }, 180_000);

  it('run -i --rm: stdin without a terminal, its end read by the container, the exit code passed through', async () => {
    const t = kubectlOn(h, ['run', '-i', '--rm', `--image=${IMAGE}`, '--image-pull-policy=Never', '--restart=Never', 'piped', '--', 'sh', '-c', 'while read l; do echo "got $l"; done; echo stdin-ended; exit 3'], false);
    t.type('one\ntwo\n');
    t.endInput();
    const code = await t.exited;
    expect(t.screen(), t.errors()).toMatch(/got one\r?\ngot two\r?\nstdin-ended/);
    expect(code, `${t.screen()}\n${t.errors()}`).toBe(3);
    await podGone(h, 'piped');
  }, 180_000);

  it('attach -it to a running shell: typed into, resized; attach again after kubectl left, exit ends it', async () => {
    await applyPod(h, consolePod('console', node, { tty: true }), 'console');
    const t = kubectlOn(h, ['attach', '-it', 'console'], true);
    await waitFor('the shell answers', async () => {
      t.type('echo attached-$((1+2))\n');
      await new Promise((r) => setTimeout(r, 500));
      return /attached-3/.test(t.screen());
    }, 60_000, 0);
    const from = t.screen().length;
    await t.resize(100, 30);
    await new Promise((r) => setTimeout(r, 500));
    t.type('stty size\n');
    await t.see(/30 100/, from);
    t.kill(); // kubectl leaves; the shell goes on
    await t.exited;
    const again = kubectlOn(h, ['attach', '-it', 'console'], true);
    await waitFor('the shell answers again', async () => {
      again.type('echo again-$((2+2))\n');
      await new Promise((r) => setTimeout(r, 500));
      return /again-4/.test(again.screen());
    }, 60_000, 0);
    again.type('exit\n');
    expect(await again.exited, again.errors()).toBe(0);
    await waitFor('pod console Succeeded', async () => (await h.kubectl(['get', 'pod', 'console', '-o', 'jsonpath={.status.phase}'])).stdout === 'Succeeded', 60_000);
  }, 180_000);

  it('attach -i without a terminal: lines in, answers out', async () => {
    await applyPod(h, consolePod('reader', node, { tty: false, script: 'while read l; do echo "echo:$l"; done; echo reader-done' }), 'reader');
    const t = kubectlOn(h, ['attach', '-i', 'reader'], false);
    await waitFor('the reader answers', async () => {
      t.type('ping\n');
      await new Promise((r) => setTimeout(r, 500));
      return /echo:ping/.test(t.screen());
    }, 60_000, 0);
    t.kill();
    await t.exited;
    if (runtime === 'containerd') {
      // stdinOnce false: the container's stdin outlives the first attach
      const second = kubectlOn(h, ['attach', '-i', 'reader'], false);
      await waitFor('the reader answers a second attach', async () => {
        second.type('pong\n');
        await new Promise((r) => setTimeout(r, 500));
        return /echo:pong/.test(second.screen());
      }, 60_000, 0);
      second.kill();
      await second.exited;
      expect((await h.kubectl(['get', 'pod', 'reader', '-o', 'jsonpath={.status.phase}'])).stdout).toBe('Running');
    }
    const logs = await h.kubectl(['logs', 'reader']);
    expect(logs.stdout).toContain('echo:ping');
  }, 180_000);

  it('exec -it: the terminal resized during the session reaches the command', async () => {
    const t = kubectlOn(h, ['exec', '-it', 'sleeper', '--', 'sh'], true);
    await waitFor('the shell answers', async () => {
      t.type('stty size\n');
      await new Promise((r) => setTimeout(r, 500));
      return /24 80/.test(t.screen());
    }, 60_000, 0);
    const from = t.screen().length;
    await t.resize(150, 50);
    await new Promise((r) => setTimeout(r, 500));
    t.type('stty size\n');
    await t.see(/50 150/, from);
    t.type('exit 4\n');
    expect(await t.exited, t.errors()).toBe(4);
  }, 120_000);
}

describe('stdin and TTY containers, kubectl on a terminal (containerd)', () => suite('containerd'));

describe.runIf((await execa('docker', ['version'], { reject: false })).exitCode === 0)('stdin and TTY containers, kubectl on a terminal (Docker)', () => suite('docker'));

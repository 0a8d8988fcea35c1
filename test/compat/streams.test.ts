/**
 * kubectl's streams against a real hub and a real agent running real containers (containerd):
 * exec (plain, -i, -it under `script` so kubectl has a terminal), attach, logs -f and
 * logs --tail --timestamps, each over the WebSocket subprotocols kubectl 1.30+ speaks, relayed by the
 * hub to the agent over MQTT stream topics.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleepPodManifest, waitFor, type Proc } from '../e2e/support.js';
import { applyPod, startCompatAgent } from './agent-support.js';
import { startCompatHub, type CompatHub } from './support.js';

const NODE = `streams-${process.pid}`;
const IMAGE = 'drover.local/busybox:test';

function shellPod(name: string, script: string, restartPolicy = 'Never'): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  nodeName: ${NODE}
  restartPolicy: ${restartPolicy}
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", ${JSON.stringify(script)}]
`;
}

describe('kubectl exec, attach and logs -f (real kubectl, hub, agent, containerd)', () => {
  let h: CompatHub;
  let agent: Proc;
  beforeAll(async () => {
    h = await startCompatHub('streams');
    agent = await startCompatAgent(h, NODE);
    await applyPod(h, sleepPodManifest({ name: 'sleeper', node: NODE }), 'sleeper');
  }, 180_000);
  afterAll(async () => {
    await h?.kubectl(['delete', 'pod', '--all', '--wait=true', '--timeout=60s']);
    await agent?.stop();
    await h?.close();
  }, 120_000);

  it('exec passes stdout and stderr through and exits with the command\'s code', async () => {
    const r = await h.kubectl(['exec', 'sleeper', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r.code, r.out).toBe(3);
    expect(r.stdout).toBe('out');
    expect(r.out).toContain('err');
    const ok = await h.kubectl(['exec', 'sleeper', '--', 'echo', 'fine']);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.stdout).toBe('fine');
  }, 60_000);

  it('exec -i carries stdin to the command, and its end', async () => {
    const r = await h.kubectl(['exec', '-i', 'sleeper', '--', 'cat'], 'hi\nthere\n');
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toBe('hi\nthere');
  }, 60_000);

  it('exec -it gives the command a terminal', async () => {
    const cmd = `kubectl --kubeconfig ${h.kubeconfig} exec -it sleeper -- tty`;
    const r = await execa('script', ['-qfec', cmd, '/dev/null'], { reject: false, timeout: 60_000, env: { HOME: h.dir }, input: '' });
    expect(r.stdout, r.stderr).toMatch(/\/dev\/pts\/\d+/);
    expect(r.exitCode).toBe(0);
  }, 60_000);

  it('logs --tail --timestamps gives the last lines, each with its time', async () => {
    await applyPod(h, shellPod('lines', 'echo one; echo two; echo three; sleep 3600', 'Always'), 'lines');
    await waitFor('three lines logged', async () => (await h.kubectl(['logs', 'lines'])).stdout.includes('three'));
    const r = await h.kubectl(['logs', 'lines', '--tail=2', '--timestamps']);
    expect(r.code, r.out).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z two$/);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z three$/);
  }, 120_000);

  it('logs -f streams what is written after it started and ends when the container exits', async () => {
    await applyPod(h, shellPod('writer', 'echo first; sleep 4; echo second; sleep 1'), 'writer');
    const follow = execa('kubectl', ['--kubeconfig', h.kubeconfig, 'logs', '-f', 'writer'], { reject: false, timeout: 60_000, env: { HOME: h.dir } });
    let seen = '';
    let secondLater = false;
    follow.stdout!.on('data', (d: Buffer) => {
      if (seen.includes('first') && !seen.includes('second') && d.toString().includes('second')) secondLater = true;
      seen += d.toString();
    });
    const r = await follow;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('first\nsecond');
    expect(secondLater).toBe(true);
  }, 120_000);

  it('attach streams the running container\'s output', async () => {
    await applyPod(h, shellPod('ticker', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done', 'Always'), 'ticker');
    const attach = execa('kubectl', ['--kubeconfig', h.kubeconfig, 'attach', 'ticker'], { reject: false, timeout: 60_000, env: { HOME: h.dir } });
    let seen = '';
    attach.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
    await waitFor('a tick through attach', async () => /tick \d+\ntick \d+/.test(seen), 30_000);
    attach.kill('SIGINT');
    await attach;
    expect(seen).toMatch(/tick \d+/);
  }, 120_000);

  it('port-forward carries a curl to the pod and back (SPDY/3.1 tunnelled in WebSocket)', async () => {
    // kubectl 1.30 (the one on PATH says so in its User-Agent) tunnels port-forward in WebSocket only when
    // asked (KUBECTL_PORT_FORWARD_WEBSOCKETS, the default from 1.31); plain SPDY upgrades are not served.
    // Without the pod network the container shares the host's network: a port no one else uses.
    const port = 20_000 + (process.pid % 20_000);
    await applyPod(h, shellPod('web', `mkdir -p /tmp/w && echo hello-through-port-forward > /tmp/w/index.html && exec httpd -f -p ${port} -h /tmp/w`, 'Always'), 'web');
    const forward = execa('kubectl', ['--kubeconfig', h.kubeconfig, 'port-forward', 'pod/web', `0:${port}`], { reject: false, timeout: 60_000, env: { HOME: h.dir, KUBECTL_PORT_FORWARD_WEBSOCKETS: 'true' } });
    let seen = '';
    forward.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
    forward.stderr!.on('data', (d: Buffer) => (seen += d.toString()));
    const local = await waitFor('port-forward listening', async () => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(seen)?.[1], 30_000).catch((err: Error) => {
      throw new Error(`${err.message}; kubectl said: ${seen}`);
    });
    try {
      for (let i = 0; i < 2; i++) {
        const r = await execa('curl', ['-sS', '--max-time', '20', `http://127.0.0.1:${local}/`], { reject: false });
        expect(r.stdout, `${r.stderr} ${seen}`).toBe('hello-through-port-forward');
      }
    } finally {
      forward.kill('SIGINT');
      await forward;
    }
  }, 120_000);

  it('refuses exec to a view token, as RBAC create on pods/exec', async () => {
    const t = await h.kubectl(['create', '--raw', '/apis/drover.io/v1/apitokens', '-f', '-'], JSON.stringify({ role: 'view' }));
    const token = (JSON.parse(t.stdout) as { token: string }).token;
    const r = await h.kubectl(['exec', 'sleeper', '--token', token, '--', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/forbidden/i);
  }, 60_000);
});

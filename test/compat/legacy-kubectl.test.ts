/**
 * kubectl before 1.30 against a real hub and agent (containerd): exec, attach and port-forward over a
 * plain `Upgrade: SPDY/3.1` connection (hub/api/stream-spdy-exec.ts, stream-port-forward.ts), with
 * Debian 12's kubectl 1.20 (install/test-env.sh unpacks it into /opt/drover-test) and kubectl 1.29
 * (SPDY by default) where the Google Cloud SDK has it; and get, apply, logs with kubectl 1.20.
 */
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleepPodManifest, waitFor, type Proc } from '../e2e/support.js';
import { applyPod, startCompatAgent } from './agent-support.js';
import { startCompatHub, type CompatHub } from './support.js';
import { kubectlOn } from './terminal-support.js';

const NODE = `legacy-${process.pid}`;
const IMAGE = 'drover.local/busybox:test';
export const KUBECTL_1_20 = '/opt/drover-test/kubernetes-client/usr/bin/kubectl';
const KUBECTL_1_29 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.29';
const BINARIES: [string, string][] = [['1.20', KUBECTL_1_20], ...(existsSync(KUBECTL_1_29) ? ([['1.29', KUBECTL_1_29]] as [string, string][]) : [])];

function shellPod(name: string, script: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  nodeName: ${NODE}
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", ${JSON.stringify(script)}]
`;
}

describe('kubectl 1.20 and 1.29 over plain SPDY/3.1 (real kubectl, hub, agent, containerd)', () => {
  let h: CompatHub;
  let agent: Proc;
  const port = 20_000 + ((process.pid + 7) % 20_000);
  beforeAll(async () => {
    h = await startCompatHub('legacy');
    agent = await startCompatAgent(h, NODE);
    await applyPod(h, sleepPodManifest({ name: 'sleeper', node: NODE }), 'sleeper');
    await applyPod(h, shellPod('ticker', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done'), 'ticker');
    await applyPod(h, shellPod('web', `mkdir -p /tmp/w && echo hello-through-spdy > /tmp/w/index.html && exec httpd -f -p ${port} -h /tmp/w`), 'web');
  }, 180_000);
  afterAll(async () => {
    await h?.kubectl(['delete', 'pod', '--all', '--wait=true', '--timeout=60s']);
    await agent?.stop();
    await h?.close();
  }, 120_000);

  async function run(bin: string, args: string[], input?: string) {
    const r = await execa(bin, ['--kubeconfig', h.kubeconfig, ...args], { reject: false, timeout: 60_000, env: { HOME: h.dir }, ...(input !== undefined ? { input } : {}) });
    return { code: r.exitCode ?? 1, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
  }

  describe.each(BINARIES)('kubectl %s', (_version, bin) => {
    it('exec passes output through and exits with the command\'s code', async () => {
      const r = await run(bin, ['exec', 'sleeper', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      expect(r.code, r.out).toBe(3);
      expect(r.stdout).toBe('out');
      expect(r.out).toContain('err');
      const ok = await run(bin, ['exec', 'sleeper', '--', 'echo', 'fine']);
      expect(ok.code, ok.out).toBe(0);
      expect(ok.stdout).toBe('fine');
    }, 60_000);

    it('exec -i carries stdin and its end', async () => {
      const r = await run(bin, ['exec', '-i', 'sleeper', '--', 'cat'], 'hi\nthere\n');
      expect(r.code, r.out).toBe(0);
      expect(r.stdout).toBe('hi\nthere');
    }, 60_000);

    it('exec -it gives the command a terminal', async () => {
      const r = await execa('script', ['-qfec', `${bin} --kubeconfig ${h.kubeconfig} exec -it sleeper -- tty`, '/dev/null'], { reject: false, timeout: 60_000, env: { HOME: h.dir }, input: '' });
      expect(r.stdout, r.stderr).toMatch(/\/dev\/pts\/\d+/);
      expect(r.exitCode).toBe(0);
    }, 60_000);

    it('attach -it to a stdin/TTY container and exec -it: typed into, the terminal resized while it runs', async () => {
      const name = `console-${_version.replace('.', '-')}`;
      await applyPod(h, `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  nodeName: ${NODE}
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
    - { name: main, image: ${IMAGE}, imagePullPolicy: Never, stdin: true, tty: true, command: ["sh"] }
`, name);
      for (const args of [['attach', '-it', name], ['exec', '-it', 'sleeper', '--', 'sh']]) {
        const t = kubectlOn(h, args, true, bin);
        await waitFor(`${args[0]} answers`, async () => {
          t.type('echo up-$((3*3))\n');
          await new Promise((r) => setTimeout(r, 500));
          return /up-9/.test(t.screen());
        }, 60_000, 0);
        const from = t.screen().length;
        await t.resize(111, 37);
        await new Promise((r) => setTimeout(r, 500));
        t.type('stty size\n');
        await t.see(/37 111/, from);
        t.type('exit\n');
        expect(await t.exited, t.errors()).toBe(0);
      }
    }, 120_000);

    it('attach streams the running container\'s output', async () => {
      const attach = execa(bin, ['--kubeconfig', h.kubeconfig, 'attach', 'ticker'], { reject: false, timeout: 60_000, env: { HOME: h.dir } });
      let seen = '';
      attach.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
      attach.stderr!.on('data', (d: Buffer) => (seen += d.toString()));
      await waitFor('a tick through attach', async () => /tick \d+\ntick \d+/.test(seen), 30_000).catch((err: Error) => {
        throw new Error(`${err.message}; kubectl said: ${seen}`);
      });
      attach.kill('SIGINT');
      await attach;
      expect(seen).toMatch(/tick \d+/);
    }, 120_000);

    it('port-forward carries a curl to the pod and back', async () => {
      const forward = execa(bin, ['--kubeconfig', h.kubeconfig, 'port-forward', 'pod/web', `0:${port}`], { reject: false, timeout: 60_000, env: { HOME: h.dir } });
      let seen = '';
      forward.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
      forward.stderr!.on('data', (d: Buffer) => (seen += d.toString()));
      const local = await waitFor('port-forward listening', async () => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(seen)?.[1], 30_000).catch((err: Error) => {
        throw new Error(`${err.message}; kubectl said: ${seen}`);
      });
      try {
        for (let i = 0; i < 2; i++) {
          const r = await execa('curl', ['-sS', '--max-time', '20', `http://127.0.0.1:${local}/`], { reject: false });
          expect(r.stdout, `${r.stderr} ${seen}`).toBe('hello-through-spdy');
        }
      } finally {
        forward.kill('SIGINT');
        await forward;
      }
    }, 120_000);

    it('refuses exec to a view token', async () => {
      const t = await h.kubectl(['create', '--raw', '/apis/drover.io/v1/apitokens', '-f', '-'], JSON.stringify({ role: 'view' }));
      const token = (JSON.parse(t.stdout) as { token: string }).token;
      const r = await run(bin, ['exec', 'sleeper', '--token', token, '--', 'true']);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/forbidden/i);
    }, 60_000);
  });

  describe('kubectl 1.20 basics', () => {
    it('get, apply and logs work', async () => {
      const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: legacy-cm }\ndata: { a: "1" }\n';
      const applied = await run(KUBECTL_1_20, ['apply', '-f', '-'], cm);
      expect(applied.code, applied.out).toBe(0);
      expect(applied.stdout).toContain('configmap/legacy-cm');
      const got = await run(KUBECTL_1_20, ['get', 'configmap', 'legacy-cm', '-o', 'jsonpath={.data.a}']);
      expect(got.code, got.out).toBe(0);
      expect(got.stdout).toBe('1');
      const pods = await run(KUBECTL_1_20, ['get', 'pods']);
      expect(pods.code, pods.out).toBe(0);
      expect(pods.stdout).toMatch(/^NAME\s+READY\s+STATUS/);
      expect(pods.stdout).toContain('sleeper');
      const logs = await run(KUBECTL_1_20, ['logs', 'ticker', '--tail=1']);
      expect(logs.code, logs.out).toBe(0);
      expect(logs.stdout).toMatch(/^tick \d+$/);
    }, 60_000);

    it('explain reads the OpenAPI v2 document as protobuf', async () => {
      const r = await run(KUBECTL_1_20, ['explain', 'deployment.spec.replicas']);
      expect(r.code, r.out).toBe(0);
      expect(r.stdout).toContain('KIND:     Deployment');
      expect(r.stdout).toMatch(/FIELD:\s+replicas <integer>/);
    }, 60_000);
  });
});

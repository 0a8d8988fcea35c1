/**
 * Issue 12, finding 4. Attack: an unprivileged local user (`nobody`, through setpriv) reads every
 * process's command line (/proc/PID/cmdline, what `ps -eo args` shows) while a node joins and while pods
 * using a Secret are created, looking for the join token or the Secret's value. Before: the launcher and
 * the agent carried `--token` for the agent's lifetime, and env values went on `ctr containers create`'s
 * command line. Expected (as Kubernetes: the kubelet's bootstrap token lives in a file, and env values
 * reach the runtime through its API, not argv): neither the token nor the value ever appears. Observed:
 * below; the sampler's figures are printed as CHAOS-FIGURE lines.
 *
 * Real processes: a `drover hub`, two `drover agent`s (containerd and Docker, --no-pod-network), one
 * joining with --token-file (a 0600 file), the other with DROVER_JOIN_TOKEN; the pods read the Secrets
 * through env (secretKeyRef) and envFrom, one of them a multi-line PEM-like key (before: containerd put a
 * value holding a newline on `ctr containers create --env=K=V`; now ctr gets no env at all and the values go
 * into the spec over containerd's socket, docker gets them from a 0600 env file and its own environment).
 * Inside each container the variable (and /proc/1/environ) holds the multi-line value exactly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { figure } from '../chaos/support.js';
import { cleanup, removeNodeContainers, startDrover, startHub, waitFor, TEST_IMAGE, type Proc, type TestHub } from '../e2e/support.js';

const SECRET = 'argv-s3cr3t-value-5521';
/** A multi-line PEM-like key, random each run: every line of it is searched for on the command lines. */
const b64line = () => randomBytes(48).toString('base64');
const PEM_LINES = [b64line(), b64line(), b64line()];
const PEM = `-----BEGIN PRIVATE KEY-----\n${PEM_LINES.join('\n')}\n-----END PRIVATE KEY-----\n`;
// the pod checks the value it got against its digest: the value itself is on no command line of the test's either
const md5 = (s: string) => createHash('md5').update(`${s}\n`).digest('hex');
const NODES = [
  { node: 'argv-ctr', runtime: 'containerd' as const },
  { node: 'argv-docker', runtime: 'docker' as const },
];

/**
 * Runs as `nobody`: reads /proc/*\/cmdline in a loop and prints each command line it has not seen before,
 * then "passes N" on SIGTERM. What it looks for is not on its own command line (it prints everything).
 */
const SAMPLER = `
const fs = require('node:fs');
const seen = new Set();
let passes = 0;
let stop = false;
process.on('SIGTERM', () => { stop = true; });
function pass() {
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(pid)) continue;
    let line;
    try { line = fs.readFileSync('/proc/' + pid + '/cmdline', 'latin1').split('\\0').join(' ').trim(); } catch { continue; }
    if (line && !seen.has(line)) { seen.add(line); process.stdout.write(JSON.stringify(line) + '\\n'); }
  }
  passes++;
  if (stop) { process.stdout.write('passes ' + passes + '\\n'); process.exit(0); }
  setImmediate(pass);
}
pass();
`;

function podManifest(name: string, node: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", "test \\"$(echo \\"$APP_TOKEN\\" | md5sum | cut -c1-32)\\" = ${md5(SECRET)} && exec sleep 3600"]
      env:
        - name: APP_TOKEN
          valueFrom:
            secretKeyRef: { name: argv-secret, key: token }
        - name: PEM_KEY
          valueFrom:
            secretKeyRef: { name: argv-pem, key: TLS_KEY }
      envFrom:
        - secretRef: { name: argv-pem }
`;
}

describe('no secret on any command line (an unprivileged user reading /proc/*/cmdline)', () => {
  let hub: TestHub;
  let sampler: ChildProcess;
  let sampled = '';
  const agents: Proc[] = [];
  const joinTokens: string[] = [];

  beforeAll(async () => {
    hub = await startHub();
    sampler = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', SAMPLER], { stdio: ['ignore', 'pipe', 'inherit'] });
    sampler.stdout!.on('data', (d: Buffer) => (sampled += d.toString()));
    await waitFor('the sampler to run', async () => sampled.length > 0, 10_000);
  }, 120_000);

  afterAll(async () => {
    sampler?.kill('SIGKILL');
    // the pods go while their agents still run, so the agents remove their containers
    await hub?.cli(['delete', 'pod', 'argv-ctr-pod', 'argv-docker-pod', '--grace-period', '0', '--ignore-not-found', '--timeout', '60s'], { reject: false });
    for (const a of agents) await a.stop();
    // and whatever an agent could not remove in time, by this test's node labels
    await removeNodeContainers(NODES.map((n) => n.node));
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
  }, 120_000);

  it('an agent joins with --token-file and another with DROVER_JOIN_TOKEN, and their pods get the Secret through env', async () => {
    for (const { node, runtime } of NODES) {
      const token = (await hub.cli(['token', 'create', '--ttl', '10m'])).stdout.trim();
      joinTokens.push(token);
      const dataDir = join(hub.dir, `agent-${node}`);
      const common = ['agent', '--hub', hub.mqttUrl, '--name', node, '--runtime', runtime, '--data-dir', dataDir, '--status-interval', '2', '--no-pod-network'];
      if (runtime === 'containerd') {
        const file = join(hub.dir, `${node}.token`);
        await writeFile(file, `${token}\n`, { mode: 0o600 });
        agents.push(startDrover([...common, '--token-file', file], hub.env));
      } else {
        agents.push(startDrover(common, { ...hub.env, DROVER_JOIN_TOKEN: token }));
      }
    }
    await waitFor('both argv nodes Ready', async () => {
      const list = await hub.json<{ items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'nodes']);
      const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name);
      return NODES.every((n) => ready.includes(n.node));
    }, 180_000);
    const secretFile = join(hub.dir, 'token');
    await writeFile(secretFile, SECRET, { mode: 0o600 });
    expect((await hub.cli(['create', 'secret', 'generic', 'argv-secret', '--from-file', `token=${secretFile}`])).exitCode).toBe(0);
    const pemFile = join(hub.dir, 'key.pem');
    await writeFile(pemFile, PEM, { mode: 0o600 });
    expect((await hub.cli(['create', 'secret', 'generic', 'argv-pem', '--from-file', `TLS_KEY=${pemFile}`])).exitCode).toBe(0);
    for (const { node } of NODES) await hub.cli(['apply', '-f', '-'], { input: podManifest(`${node}-pod`, node) });
    for (const { node } of NODES) {
      // the container's command checks the value it got: Running means the Secret reached it through env
      await waitFor(`${node}-pod Running`, async () => {
        const pod = await hub.json<{ status?: { phase?: string } }>(['get', 'pod', `${node}-pod`]);
        return pod.status?.phase === 'Running';
      }, 120_000);
    }
    for (const { node, runtime } of NODES) {
      // attack: does the multi-line value reach the container intact? expected: byte for byte, as the kubelet passes it
      for (const name of ['PEM_KEY', 'TLS_KEY']) {
        // the test image has no printenv: the shell prints the variable as it is, a "|" after it so that the
        // CLI's output, which loses a last newline, keeps the PEM's own
        const r = await hub.cli(['exec', `${node}-pod`, '--', 'sh', '-c', `printf '%s|' "$${name}"`]);
        figure(`argv: ${runtime} ${name} (${name === 'PEM_KEY' ? 'secretKeyRef' : 'envFrom'}) inside the container equals the PEM`, r.stdout === `${PEM}|` ? 1 : 0);
        expect(r.stdout).toBe(`${PEM}|`);
      }
      const environ = await hub.cli(['exec', `${node}-pod`, '--', 'cat', '/proc/1/environ']);
      expect(environ.stdout.split('\0')).toContain(`PEM_KEY=${PEM}`);
    }
  }, 360_000);

  it('the unprivileged sampler saw neither the join tokens nor the Secret on any command line', async () => {
    sampler.kill('SIGTERM');
    await waitFor('the sampler to finish', async () => /passes \d+/.test(sampled), 10_000);
    const lines = sampled.split('\n').filter((l) => l.startsWith('"')).map((l) => JSON.parse(l) as string);
    const passes = Number(/passes (\d+)/.exec(sampled)![1]);
    figure('argv sampler: /proc passes as nobody', passes);
    figure('argv sampler: distinct command lines seen', lines.length);
    // the control: the sampler did see the processes of the join and of the pod creation
    expect(lines.some((l) => l.includes('agent/main.js') && l.includes('argv-ctr'))).toBe(true);
    expect(lines.some((l) => /ctr .*containers create/.test(l) || l.includes('docker create') || /docker .*create/.test(l))).toBe(true);
    const secretPart = (t: string) => t.split('.').at(-1)!;
    const leaks = lines.filter(
      (l) => l.includes(SECRET) || PEM_LINES.some((p) => l.includes(p)) || joinTokens.some((t) => l.includes(t) || l.includes(secretPart(t))),
    );
    figure('argv sampler: command lines holding a token, the Secret or a line of the PEM', leaks.length);
    expect(leaks).toEqual([]);
    // ctr is given no env flag at all, docker only `--env-file F` and `--env NAME` (no "="): the sampler may miss
    // a create (it lasts a few ms; the control above needs one of them), but it sees the adapters' other calls.
    // Which argv each adapter uses exactly is test/runtime-adapters/env-file.test.ts's to record.
    const ctrLines = lines.filter((l) => /\bctr .*--namespace=drover/.test(l));
    figure('argv sampler: ctr command lines seen', ctrLines.length);
    expect(ctrLines.length).toBeGreaterThan(0);
    // (only this test's creates: other sessions' agents, on other builds, run on this machine too)
    const ours = (l: string) => /io\.drover\.node=argv-/.test(l);
    expect(lines.filter((l) => ours(l) && /docker .*create/.test(l) && /(--env|-e) [^ ]*=/.test(l))).toEqual([]);
    expect(ctrLines.filter((l) => ours(l) && /--env/.test(l))).toEqual([]);

  }, 30_000);

  it('`drover agent --token T` typed anyway: the launcher masks it and hands it to the agent through a pipe', async () => {
    const token = (await hub.cli(['token', 'create', '--ttl', '10m'])).stdout.trim();
    const node = 'argv-launcher';
    const launcher = startDrover(
      ['agent', '--hub', hub.mqttUrl, '--token', token, '--name', node, '--runtime', 'docker', '--data-dir', join(hub.dir, `agent-${node}`), '--status-interval', '2', '--no-pod-network'],
      hub.env,
    );
    agents.push(launcher);
    await waitFor(`${node} Ready`, async () => {
      const n = await hub.json<{ status?: { conditions?: { type: string; status: string }[] } }>(['get', 'node', node]).catch(() => undefined);
      return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    }, 120_000);
    // what `nobody` reads now in the launcher's and the agent's command lines
    const pid = launcher.child.pid!;
    const child = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/)[0]!;
    const read = async (p: string | number) =>
      (await execa('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'cat', `/proc/${p}/cmdline`])).stdout.split('\0').join(' ');
    const [launcherArgs, agentArgs] = [await read(pid), await read(child)];
    expect(launcherArgs).toContain('--token ***');
    expect(agentArgs).toContain('--token-file /dev/fd/3');
    for (const args of [launcherArgs, agentArgs]) expect(args).not.toContain(token.split('.').at(-1)!);
    expect(launcher.output()).toMatch(/--token is readable by every local user/);
  }, 180_000);
});

/**
 * A device's first boot, end to end, under qemu-system-x86_64: a Debian 13 disk image made here (MBR, FAT boot,
 * ext4 root from the cached debootstrap tree: test/slow/support/guest.ts) is flashed by the built `drover flash`
 * (the amd64 agent bundle, a join token carrying the hub CA's hash, the hub as the guest reaches it at 10.0.2.2 on
 * qemu's user network, hostname, labels), booted (KVM when the host has vmx/svm, else TCG), and on first boot
 * drover-firstboot installs the agent, which joins with the flashed labels; then a pod whose image was pushed to
 * the hub (`drover image push`; the guest has no registry) runs on it. Prints QEMU-FIGURE lines: boot to Ready.
 * The serial console goes to SERIAL_LOG (kept on failure: its path is printed).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node } from '../../protocol/objects/node.js';
import type { Pod } from '../../protocol/objects/pod.js';
import { cleanup, DROVER, startHub, waitFor, type Proc, type TestHub } from '../e2e/support.js';
import { buildArchive } from '../hub/images/image-archives.js';
import { bootGuest, chooseAccel, guestFiles, guestJournal, makeGuestImage, ROOT, type GuestFiles } from './support/guest.js';

const run = promisify(execFile);
const RUN = Math.random().toString(36).slice(2, 8);
const NODE = `qemu-${RUN}`;
const IMAGE = `qemu-app-${RUN}:1`;
/** The host's loopback as qemu's user network shows it to the guest. */
const HOST_FROM_GUEST = '10.0.2.2';
const READY_TIMEOUT_MS = 20 * 60_000;

describe('a flashed Debian image boots under qemu, joins the hub with its labels and runs a pod', () => {
  let work: string;
  let hub: TestHub;
  let files: GuestFiles;
  let guest: Proc | undefined;
  let serialLog: string;
  let accel: 'kvm' | 'tcg';
  let bootedAt = 0;
  let failed = true;

  beforeAll(async () => {
    const began = performance.now();
    files = await guestFiles();
    console.log(`QEMU-FIGURE: guest root file system ready in ${((performance.now() - began) / 1000).toFixed(1)} s (${files.dir}; cold build ${(await readFile(join(files.dir, 'build-seconds'), 'utf8')).trim()} s)`);
    work = await mkdtemp(join(tmpdir(), 'qemu-boot-'));
    serialLog = join(work, 'serial.log');
    accel = await chooseAccel();
    // an emulated guest on a loaded machine can go quiet for tens of seconds (its heartbeats and MQTT keepalives
    // wait for CPU): a longer node grace, and no eviction of the test pod while it does
    hub = await startHub(['--tls', '--tls-san', HOST_FROM_GUEST, '--node-monitor-grace', '60s', '--eviction-grace', '60m']);
  }, 45 * 60_000);

  afterAll(async () => {
    await guest?.stop('SIGKILL');
    if (failed && guest) console.log(`QEMU: the guest's drover journal (read from the image after qemu stopped):\n${await guestJournal(work).catch((err: unknown) => String(err))}`);
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
    if (failed) console.log(`QEMU: kept ${work} (serial console: ${serialLog})`);
    else await rm(work, { recursive: true, force: true });
  }, 120_000);

  it('flashes, boots, joins Ready with the flashed labels, and runs a pod from an image pushed to the hub', async () => {
    // the image, made as an unprivileged user would: no mount
    let t = performance.now();
    const image = await makeGuestImage(work, files.rootfs);
    console.log(`QEMU-FIGURE: disk image (MBR, FAT, ext4 -d) made in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const { stdout: bundleOut } = await run('bash', [join(ROOT, 'install', 'build-agent-bundle.sh'), '--arch', 'amd64'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const bundle = join(ROOT, (bundleOut.trim().split('\n').find((l) => l.includes('linux-amd64.tar.gz')) ?? '').split(' ')[0] ?? '');

    const token = (await hub.cli(['token', 'create', '--ttl', '2h'])).stdout.trim();
    expect(token).toMatch(/^K10[0-9a-f]{64}::/); // carries the CA hash: the guest pins the hub's CA with it
    const mqttPort = new URL(hub.mqttUrl).port;
    const httpsPort = new URL(hub.httpUrl).port;
    expect(hub.mqttUrl).toMatch(/^mqtts:/);
    t = performance.now();
    const flashed = await run(process.execPath, [DROVER, 'flash', image, '--in-place', '--token', token, '--hub', `mqtts://${HOST_FROM_GUEST}:${mqttPort}`,
      '--image-hub', `${HOST_FROM_GUEST}:${httpsPort}`, '--hostname', NODE, '--labels', 'site=qemu-lab,rack=r1', '--bundle', bundle], { maxBuffer: 16 * 1024 * 1024 });
    expect(flashed.stderr).toContain('linux/amd64');
    console.log(`QEMU-FIGURE: drover flash took ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // the image the pod runs: pushed to the hub, pulled by the guest from it (no registry is reachable there)
    const archive = await buildArchive({ work, tags: [IMAGE], arch: 'amd64', extra: { 'app/hello.txt': `hello from ${RUN}\n` } });
    await hub.cli(['image', 'push', archive]);

    bootedAt = Date.now();
    guest = bootGuest({ image, files, serialLog, accel });
    const exited = () => guest?.child.exitCode !== null || guest?.child.signalCode !== null;
    const node = await waitFor('the guest node to be Ready', async () => {
      if (exited()) throw new Error(`qemu exited: ${guest?.output()}`);
      const r = await hub.cli(['get', 'node', NODE, '-o', 'json'], { reject: false });
      if (r.exitCode !== 0) return undefined;
      const n = JSON.parse(r.stdout) as Node;
      return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
    }, READY_TIMEOUT_MS, 2000);
    // from qemu's start to the hub's Ready transition (the hub's clock is this machine's)
    const readyAt = Date.parse(node.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
    const joinedAt = Date.parse(node.metadata.creationTimestamp ?? '');
    const readySeconds = (readyAt - bootedAt) / 1000;
    expect(readySeconds).toBeGreaterThan(0);
    console.log(`QEMU-FIGURE: first boot to node Ready: ${readySeconds.toFixed(1)} s (joined, Node created, at ${((joinedAt - bootedAt) / 1000).toFixed(1)} s; qemu ${accel}, 2 vCPUs, 1536 MiB; loadavg ${(await readFile('/proc/loadavg', 'utf8')).trim()})`);
    expect(node.metadata.labels).toMatchObject({ site: 'qemu-lab', rack: 'r1', 'kubernetes.io/hostname': NODE, 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux' });
    expect(node.status?.nodeInfo?.osImage ?? '').toMatch(/Debian/);
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '10.0.2.15' });

    t = performance.now();
    await hub.cli(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata:
  name: hello-${RUN}
  annotations:
    drover.io/image-source: hub
spec:
  nodeSelector:
    site: qemu-lab
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", "cat /app/hello.txt; sleep 3600"]
`,
    });
    const pod = await waitFor('the pod to run on the guest', async () => {
      if (exited()) throw new Error(`qemu exited: ${guest?.output()}`);
      const p = await hub.json<Pod>(['get', 'pod', `hello-${RUN}`]);
      return p.status?.phase === 'Running' ? p : undefined;
    }, 30 * 60_000, 5000);
    console.log(`QEMU-FIGURE: pod scheduled to Running (image pulled from the hub) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    expect(pod.spec.nodeName).toBe(NODE);
    const logs = await waitFor('the pod log', async () => {
      const r = await hub.cli(['logs', `hello-${RUN}`], { reject: false });
      return r.stdout.includes(`hello from ${RUN}`) ? r.stdout : undefined;
    }, 120_000, 2000);
    expect(logs).toContain(`hello from ${RUN}`);

    // first boot cleaned up after itself: the journal on the serial console says so, and the token is gone
    const serial = await waitFor('drover-firstboot to finish', async () => {
      const text = (await readFile(serialLog, 'utf8')).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
      return /Finished drover-firstboot\.service/.test(text) ? text : undefined;
    }, 120_000, 1000);
    expect(serial).toMatch(/Started drover-agent\.service/);
    failed = false;
  }, 60 * 60_000);
});

/**
 * install/test-env.sh, run for real. It builds and imports under its own tags and containerd namespace
 * (TEST_ENV_TAGS / TEST_ENV_NAMESPACE) so that the images other tests use are never removed.
 */
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../install/test-env.sh', import.meta.url));
const suffix = Math.random().toString(16).slice(2, 8);
const NAMESPACE = `drover-envtest-${suffix}`;
const TAGS = [`drover.local/envtest-${suffix}:test`, `registry.local/envtest-${suffix}:1.27`];
const env = { TEST_ENV_NAMESPACE: NAMESPACE, TEST_ENV_TAGS: TAGS.join(' ') };

async function cleanup(): Promise<void> {
  await execa('docker', ['rmi', ...TAGS], { reject: false });
  await execa('ctr', ['-n', NAMESPACE, 'images', 'rm', ...TAGS], { reject: false });
  // containerd garbage-collects the image's snapshots a moment after `images rm`; until then the namespace is not empty
  for (let i = 0; i < 20; i++) {
    const { stdout } = await execa('ctr', ['namespaces', 'ls', '-q']);
    if (!stdout.split('\n').includes(NAMESPACE)) return;
    if ((await execa('ctr', ['namespaces', 'rm', NAMESPACE], { reject: false })).exitCode === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('install/test-env.sh', () => {
  afterAll(cleanup);

  it('builds the image, tags it, imports it into containerd, and is a no-op the second time', async () => {
    await cleanup();
    const first = await execa('bash', [script], { env });
    expect(first.stdout).toContain(`image ${TAGS[0]}: building from /bin/busybox`);
    expect(first.stdout).toContain(`loaded into docker and imported into containerd namespace ${NAMESPACE}`);
    expect(first.stdout.trim().split('\n').every((l) => l.startsWith('[test-env] '))).toBe(true);

    for (const tag of TAGS) await execa('docker', ['image', 'inspect', tag]);
    const { stdout: listed } = await execa('ctr', ['-n', NAMESPACE, 'images', 'ls', '-q']);
    expect(listed.split('\n').sort()).toEqual([...TAGS].sort());

    // The image runs: busybox applets under /bin, CMD /bin/sh.
    const { stdout: cfg } = await execa('docker', ['image', 'inspect', '--format', '{{json .Config.Cmd}}', TAGS[0]!]);
    expect(JSON.parse(cfg)).toEqual(['/bin/sh']);
    const ran = await execa('ctr', ['-n', NAMESPACE, 'run', '--rm', TAGS[1]!, `envtest-${suffix}`, '/bin/sh', '-c', 'echo ok; ls /bin/httpd']);
    expect(ran.stdout).toBe('ok\n/bin/httpd');

    const second = await execa('bash', [script], { env });
    expect(second.stdout).not.toContain('building');
    expect(second.stdout).not.toContain('imported');
    expect(second.stdout).toContain(`present in docker and in containerd namespace ${NAMESPACE}`);
    expect(second.stdout).toContain('[test-env] ready');
  });

  it('refuses to run the daemon part without root, saying why', async () => {
    const r = await execa('runuser', ['-u', 'nobody', '--', 'bash', script], { reject: false, env, cwd: '/' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/need root|as root/);
  });
});

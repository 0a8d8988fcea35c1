/**
 * `drover flash` from the built CLI on a test disk image made here (MBR, FAT boot, ext4 root with busybox as /bin/sh):
 * every file, mode and owner is read back with debugfs/mtools; .img.xz input; missing partitions, wrong
 * arch; --device on a regular file.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_OFFSET, MAIN, catInImage, makeTestImage, run, statInImage } from './flash-support.js';

let dir: string;
let bundle: string;
const TOKEN = 'K10abcdef.0123456789secret';

async function flash(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // its own process group (detached); execa ends it with the test's timeout
  const r = await execa(process.execPath, [MAIN, 'flash', ...args], { detached: true, reject: false, stdin: 'ignore', timeout: 100_000 });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const sha = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flash-test-'));
  const repo = join(import.meta.dirname, '..', '..', '..');
  // the script prints one line per bundle: "dist/bundles/drover-agent-V-linux-ARCH.tar.gz SIZE bytes"
  const { stdout } = await run('bash', [join(repo, 'install', 'build-agent-bundle.sh'), '--arch', 'amd64'], { cwd: repo, maxBuffer: 16 * 1024 * 1024 });
  const line = stdout.trim().split('\n').find((l) => l.includes('linux-amd64.tar.gz')) ?? '';
  bundle = join(repo, line.split(' ')[0] ?? '');
  await writeFile(join(dir, 'psk'), 'correct horse battery\n');
  await writeFile(join(dir, 'id.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITEST flash@test\n');
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('drover flash', () => {
  it('writes the bundle, token, settings and first-boot unit into a copy of the image', async () => {
    const sub = await mkdtemp(join(dir, 'full-'));
    const img = await makeTestImage(sub);
    const before = await sha(img);
    const r = await flash([img, '--token', TOKEN, '--hub', 'mqtts://hub.local:8883', '--hostname', 'pi-07', '--labels', 'site=plant-3,rack=a',
      '--wifi-ssid', 'plant3', '--wifi-psk-file', join(sub, '..', 'psk'), '--ssh-key', join(sub, '..', 'id.pub'), '--bundle', bundle]);
    expect(r.stderr).toContain('linux/amd64');
    expect(r.code).toBe(0);
    const out = join(sub, 'test-pi-07.img');
    expect(r.stdout.trim()).toBe(out);
    expect(await sha(img)).toBe(before); // the original is untouched

    const expectFile = async (path: string, mode: string) => {
      const s = await statInImage(out, path);
      expect({ path, type: s.type, mode: s.mode, uid: s.uid, gid: s.gid }).toEqual({ path, type: 'regular', mode, uid: 0, gid: 0 });
    };
    await expectFile('/etc/drover/firstboot/join-token', '0600');
    expect(await catInImage(out, '/etc/drover/firstboot/join-token')).toBe(`${TOKEN}\n`);
    await expectFile('/etc/drover/firstboot/firstboot.env', '0600');
    expect(await catInImage(out, '/etc/drover/firstboot/firstboot.env')).toBe("DROVER_HUB='mqtts://hub.local:8883'\nDROVER_NAME='pi-07'\nDROVER_LABELS='site=plant-3,rack=a'\n");
    expect((await statInImage(out, '/etc/drover/firstboot')).mode).toBe('0700');
    await expectFile('/etc/drover/labels', '0644');
    expect(await catInImage(out, '/etc/drover/labels')).toBe('site=plant-3\nrack=a\n');
    await expectFile('/etc/hostname', '0644');
    expect(await catInImage(out, '/etc/hostname')).toBe('pi-07\n');
    expect(await catInImage(out, '/etc/hosts')).toContain('127.0.1.1\tpi-07\n');
    await expectFile('/opt/drover/firstboot/drover-agent.tar.gz', '0644');
    expect(createHash('sha256').update(Buffer.from(await catInImage(out, '/opt/drover/firstboot/drover-agent.tar.gz'), 'latin1')).digest('hex')).toBe(await sha(bundle));
    await expectFile('/etc/systemd/system/drover-firstboot.service', '0644');
    expect(await catInImage(out, '/etc/systemd/system/drover-firstboot.service')).toContain('ExecStart=/usr/local/lib/drover/drover-firstboot.sh');
    await expectFile('/usr/local/lib/drover/drover-firstboot.sh', '0755');
    expect(await statInImage(out, '/etc/systemd/system/multi-user.target.wants/drover-firstboot.service'))
      .toMatchObject({ type: 'symlink', link: '/etc/systemd/system/drover-firstboot.service' });
    await expectFile('/etc/NetworkManager/system-connections/drover-wifi.nmconnection', '0600');
    const nm = await catInImage(out, '/etc/NetworkManager/system-connections/drover-wifi.nmconnection');
    expect(nm).toContain('ssid=plant3\n');
    expect(nm).toContain('psk=correct horse battery\n');
    await expectFile('/root/.ssh/authorized_keys', '0600');
    expect((await statInImage(out, '/root/.ssh')).mode).toBe('0700');
    expect(await catInImage(out, '/root/.ssh/authorized_keys')).toBe('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITEST flash@test\n');
    expect(await statInImage(out, '/etc/systemd/system/multi-user.target.wants/ssh.service')).toMatchObject({ type: 'symlink', link: '/lib/systemd/system/ssh.service' });
    const { stdout: bootDir } = await run('mdir', ['-b', '-i', `${out}@@${BOOT_OFFSET}`, '::/'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
    expect(bootDir.split('\n')).toContain('::/ssh');
    // the image's fs is still consistent
    const { stdout: fsck } = await run('e2fsck', ['-fn', `${out}?offset=${9 * 1024 * 1024}`]).catch((e: { stdout: string }) => ({ stdout: `FAILED ${e.stdout}` }));
    expect(fsck).not.toContain('FAILED');
  }, 120_000);

  it('accepts a .img.xz (decompressed beside the output, the .xz kept)', async () => {
    const sub = await mkdtemp(join(dir, 'xz-'));
    const img = await makeTestImage(sub);
    await run('xz', ['-0', '-T1', img]);
    const r = await flash([`${img}.xz`, '--token', TOKEN, '--hub', 'mqtt://10.0.2.2:1883', '--hostname', 'pi-08', '--bundle', bundle, '-o', join(sub, 'out.img')]);
    expect(r.stderr).toContain('decompressed');
    expect(r.code).toBe(0);
    expect((await stat(`${img}.xz`)).isFile()).toBe(true);
    expect(await catInImage(join(sub, 'out.img'), '/etc/hostname')).toBe('pi-08\n');
  }, 120_000);

  it('reads a GPT image', async () => {
    const sub = await mkdtemp(join(dir, 'gpt-'));
    const img = await makeTestImage(sub, { gpt: true });
    const r = await flash([img, '--token', TOKEN, '--hub', 'mqtt://h:1883', '--hostname', 'pi-14', '--bundle', bundle, '--in-place']);
    expect(r.stderr).toContain('boot: FAT partition #1 at byte 1048576; root: ext4 partition #2 at byte 9437184');
    expect(r.code).toBe(0);
    expect(await catInImage(img, '/etc/hostname')).toBe('pi-14\n');
  }, 60_000);

  it('names a missing root partition', async () => {
    const sub = await mkdtemp(join(dir, 'noroot-'));
    const img = await makeTestImage(sub, { root: false });
    const r = await flash([img, '--token', TOKEN, '--hub', 'mqtt://h:1883', '--hostname', 'pi-09', '--bundle', bundle]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('has no ext4 root partition (found 1 partition(s): #1 fat)');
  }, 60_000);

  it('refuses a label the hub would refuse at join (a reserved prefix) before writing anything', async () => {
    const sub = await mkdtemp(join(dir, 'reserved-'));
    const img = await makeTestImage(sub);
    const r = await flash([img, '--token', TOKEN, '--hub', 'mqtt://h:1883', '--hostname', 'pi-11', '--labels', 'site=a,node-role.kubernetes.io/master=', '--bundle', bundle]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--labels: node-role.kubernetes.io/master: the kubernetes.io prefix is reserved');
    await expect(stat(join(sub, 'test-pi-11.img'))).rejects.toThrow(/ENOENT/);
  }, 60_000);

  it('refuses a file that is not a disk image', async () => {
    const f = join(dir, 'not-an-image.img');
    await writeFile(f, Buffer.alloc(4096, 1));
    const r = await flash([f, '--token', TOKEN, '--hub', 'mqtt://h:1883', '--hostname', 'pi-10', '--bundle', bundle]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a disk image');
  }, 60_000);

  it('names the architecture when the root holds no known ELF shell, and a missing bundle for the arch', async () => {
    const sub = await mkdtemp(join(dir, 'arch-'));
    const script = join(sub, 'fake-sh');
    await writeFile(script, '#!/bin/false\n');
    const img = await makeTestImage(sub, { shell: script });
    const r = await flash([img, '--token', TOKEN, '--hub', 'mqtt://h:1883', '--hostname', 'pi-11', '--bundle', bundle]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot tell the image's architecture");
    const sub2 = await mkdtemp(join(dir, 'nobundle-'));
    const img2 = await makeTestImage(sub2);
    const r2 = await flash([img2, '--token', TOKEN, '--hub', 'mqtt://h:1883', '--hostname', 'pi-12', '--bundle', join(sub2, 'missing.tar.gz')]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('no agent bundle for linux/amd64');
  }, 60_000);

  it('--device --yes writes the edited image to the device with progress; without --yes and no terminal it refuses', async () => {
    const sub = await mkdtemp(join(dir, 'dev-'));
    const img = await makeTestImage(sub);
    const device = join(sub, 'fake-sdx');
    await writeFile(device, '');
    const refused = await flash([img, '--token', TOKEN, '--hub', 'mqtt://h:1883', '--hostname', 'pi-13', '--bundle', bundle, '--device', device]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('pass --yes');
    expect((await stat(device)).size).toBe(0);
    const r = await flash([img, '--token', TOKEN, '--hub', 'mqtt://h:1883', '--hostname', 'pi-13', '--bundle', bundle, '--device', device, '--yes', '--in-place']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/writing .*fake-sdx: 100\.0% .* MiB\/s/);
    expect(await sha(device)).toBe(await sha(img));
    expect(await catInImage(device, '/etc/hostname')).toBe('pi-13\n');
  }, 120_000);
});

import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readlink, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki, signBundle, type Pki } from '../../../hub/pki/index.js';
import { silentLogger } from '../../../protocol/logger.js';
import type { BundleIndexEntry as AgentBundleRef } from '../../../protocol/agent-bundle.js';
import { createExecaRunner } from '../../../runtime-adapters/process-runner.js';
import { sha256File } from '../../../agent/upgrade/bundle-verify.js';
import { installBundle } from '../../../agent/upgrade/installer.js';
import { pointLink } from '../../../agent/upgrade/prefix.js';
import { beginBoot } from '../../../agent/upgrade/rollback.js';
import { readRollback, readTrial } from '../../../agent/upgrade/trial-marker.js';

const dirs: string[] = [];
let pki: Pki;
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'agent-installer-'));
  dirs.push(work);
  pki = await ensurePki({ dataDir: join(work, 'hub'), logger: silentLogger() });
});
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A bundle archive as build-agent-bundle.sh lays it out (drover-agent/VERSION, agent/main.js), signed by `signer`. */
async function makeBundle(version: string, opts: { versionFile?: string; signer?: Pki; padBytes?: number } = {}): Promise<{ path: string; ref: AgentBundleRef }> {
  const stage = await mkdtemp(join(work, 'stage-'));
  await mkdir(join(stage, 'drover-agent', 'agent'), { recursive: true });
  await writeFile(join(stage, 'drover-agent', 'VERSION'), `${opts.versionFile ?? version}\n`);
  await writeFile(join(stage, 'drover-agent', 'agent', 'main.js'), `// agent ${version}\n`);
  if (opts.padBytes) await writeFile(join(stage, 'drover-agent', 'agent', 'pad.bin'), Buffer.alloc(opts.padBytes));
  const file = `drover-agent-${version}-linux-amd64.tar.gz`;
  const path = join(stage, file);
  execFileSync('tar', ['-czf', path, '-C', stage, 'drover-agent']);
  const sha256 = await sha256File(path);
  const size = (await readFile(path)).length;
  return { path, ref: { version, arch: 'amd64', file, size, sha256, signature: signBundle(opts.signer ?? pki, file, sha256) } };
}

/** A prefix with 0.1.0 installed and current (under `parent`, default the test's work dir). */
async function newPrefix(parent = work): Promise<string> {
  const prefix = await mkdtemp(join(parent, 'prefix-'));
  await mkdir(join(prefix, 'versions', '0.1.0', 'agent'), { recursive: true });
  await writeFile(join(prefix, 'versions', '0.1.0', 'VERSION'), '0.1.0\n');
  await pointLink(join(prefix, 'current'), '0.1.0');
  return prefix;
}

function install(prefix: string, bundle: { path: string; ref: AgentBundleRef }, clock = () => 1_000_000) {
  return installBundle({
    prefix,
    bundle: bundle.ref,
    readyDeadlineSeconds: 30,
    hubHost: 'hub.invalid:7070',
    caPem: pki.caCertPem,
    run: createExecaRunner(),
    logger: silentLogger(),
    clock,
    // the bytes as the hub would send them; the HTTPS download itself is in the e2e test
    download: async (o) => {
      await mkdir(o.dir, { recursive: true });
      const dest = join(o.dir, o.file);
      await copyFile(bundle.path, dest);
      return dest;
    },
  });
}

describe('the agent installer', () => {
  it('unpacks beside the running version, points previous at it and current at the new one, with a trial marker', async () => {
    const prefix = await newPrefix();
    const bundle = await makeBundle('0.2.0');
    const installed = await install(prefix, bundle);
    expect(installed).toEqual({ version: '0.2.0', previousVersion: '0.1.0', deadline: 1_000_000 + 30_000 });
    expect(await readlink(join(prefix, 'current'))).toBe(join('versions', '0.2.0'));
    expect(await readlink(join(prefix, 'previous'))).toBe(join('versions', '0.1.0'));
    expect(await readFile(join(prefix, 'current', 'agent', 'main.js'), 'utf8')).toContain('agent 0.2.0');
    expect(await readTrial(prefix)).toMatchObject({ version: '0.2.0', previousVersion: '0.1.0', boots: 0 });
    // nothing left over from the download or the unpack
    expect((await readdir(join(prefix, 'versions'))).sort()).toEqual(['0.1.0', '0.2.0']);
    expect(await readdir(join(prefix, 'downloads'))).toEqual([]);
  });

  it('refuses a tampered bundle and leaves current and the versions as they were', async () => {
    const prefix = await newPrefix();
    const bundle = await makeBundle('0.2.0');
    const bytes = await readFile(bundle.path);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
    await writeFile(bundle.path, bytes);
    await expect(install(prefix, bundle)).rejects.toMatchObject({ code: 'EAGENT_BUNDLE_INVALID', message: expect.stringContaining('SHA-256') });
    expect(await readlink(join(prefix, 'current'))).toBe(join('versions', '0.1.0'));
    expect(await readdir(join(prefix, 'versions'))).toEqual(['0.1.0']);
    expect(await readTrial(prefix)).toBeUndefined();
  });

  it("refuses a bundle another hub's CA signed, and one whose content is another version", async () => {
    const prefix = await newPrefix();
    const other = await ensurePki({ dataDir: join(work, 'other-hub'), logger: silentLogger() });
    await expect(install(prefix, await makeBundle('0.2.0', { signer: other }))).rejects.toMatchObject({ code: 'EAGENT_BUNDLE_INVALID', message: expect.stringContaining('signature') });
    await expect(install(prefix, await makeBundle('0.3.0', { versionFile: '0.0.9' }))).rejects.toMatchObject({ code: 'EAGENT_BUNDLE_INVALID', message: expect.stringContaining('holds agent 0.0.9') });
    expect(await readdir(join(prefix, 'versions'))).toEqual(['0.1.0']);
    expect(await readlink(join(prefix, 'current'))).toBe(join('versions', '0.1.0'));
  });

  it('a full disk while unpacking fails as an install error and leaves nothing half-installed', async () => {
    // a 1 MiB file system (tmpfs, as root) for the device's prefix; the bundle unpacks to 3 MiB
    const disk = await mkdtemp(join(work, 'small-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk]);
    try {
      const prefix = await newPrefix(disk);
      const bundle = await makeBundle('0.2.0', { padBytes: 3 * 1024 * 1024 });
      await expect(install(prefix, bundle)).rejects.toMatchObject({ code: 'EAGENT_UPGRADE_INSTALL' });
      expect(await readlink(join(prefix, 'current'))).toBe(join('versions', '0.1.0'));
      expect(await readdir(join(prefix, 'versions'))).toEqual(['0.1.0']);
      expect(await readTrial(prefix)).toBeUndefined();
      // the space is given back: no staging directory or download left behind
      const left = (await readdir(prefix)).filter((f) => !['versions', 'current', 'downloads'].includes(f));
      expect(left).toEqual([]);
      expect(await readdir(join(prefix, 'downloads')).catch(() => [])).toEqual([]);
    } finally {
      execFileSync('umount', [disk]);
    }
  });

  it('refuses a version older than the oldest supported, and the version already current', async () => {
    const prefix = await newPrefix();
    await expect(install(prefix, await makeBundle('0.0.5'))).rejects.toMatchObject({ code: 'EAGENT_UPGRADE_REFUSED', message: expect.stringContaining('older than 0.1.0') });
    await expect(install(prefix, await makeBundle('0.1.0'))).rejects.toMatchObject({ code: 'EAGENT_UPGRADE_REFUSED', message: expect.stringContaining('already the current') });
  });
});

describe('the trial at each start', () => {
  it('counts starts, and rolls back to previous once started too often or past the deadline', async () => {
    const prefix = await newPrefix();
    await install(prefix, await makeBundle('0.2.0'), () => 0);
    expect(await beginBoot(prefix, () => 1000)).toMatchObject({ state: 'trial', trial: { boots: 1 } });
    expect(await beginBoot(prefix, () => 2000)).toMatchObject({ state: 'trial', trial: { boots: 2 } });
    expect(await beginBoot(prefix, () => 3000)).toMatchObject({ state: 'rolledBack', reason: expect.stringContaining('started 2 times') });
    expect(await readlink(join(prefix, 'current'))).toBe(join('versions', '0.1.0'));
    expect(await readRollback(prefix)).toMatchObject({ version: '0.2.0', restoredVersion: '0.1.0' });
    expect(await beginBoot(prefix, () => 4000)).toEqual({ state: 'none' });

    const late = await newPrefix();
    await install(late, await makeBundle('0.2.0'), () => 0);
    expect(await beginBoot(late, () => 31_000)).toMatchObject({ state: 'rolledBack', reason: expect.stringContaining('not up within 30 s') });
    expect(await readlink(join(late, 'current'))).toBe(join('versions', '0.1.0'));
  });
});

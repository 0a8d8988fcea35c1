import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { verifyBundleSignature } from '../../../protocol/bundle-signature.js';
import { createBundleCatalogue, BadBundleNameError, BundleNotFoundError } from '../../../hub/bundles/index.js';
import { ensurePki, signBundle, type Pki } from '../../../hub/pki/index.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('bundle catalogue', () => {
  let dir: string;
  let pki: Pki;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-bundles-'));
    pki = await ensurePki({ dataDir: join(dir, 'hub'), logger: silentLogger(), host: { hostname: 'hub', addresses: [] } });
    await mkdir(join(dir, 'data'));
    await mkdir(join(dir, 'dist'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const catalogue = () =>
    createBundleCatalogue({ dirs: [join(dir, 'data'), join(dir, 'dist'), join(dir, 'missing')], sign: (f, s) => signBundle(pki, f, s), logger: silentLogger() });

  it('lists bundles newest first, signed; the first directory wins a name; other files are ignored', async () => {
    await writeFile(join(dir, 'dist', 'drover-agent-0.1.0-linux-amd64.tar.gz'), 'dist-010-amd64');
    await writeFile(join(dir, 'data', 'drover-agent-0.1.0-linux-amd64.tar.gz'), 'data-010-amd64');
    await writeFile(join(dir, 'dist', 'drover-agent-0.2.0-linux-arm64.tar.gz'), 'dist-020-arm64');
    await writeFile(join(dir, 'dist', 'drover-agent-0.10.0-linux-amd64.tar.gz'), 'dist-0100-amd64');
    await writeFile(join(dir, 'dist', 'drover-agent-0.1.0-linux-amd64.tar.gz.sha256'), 'x');
    await writeFile(join(dir, 'dist', 'drover-agent-0.1.0-linux-mips.tar.gz'), 'mips');
    await mkdir(join(dir, 'dist', 'drover-agent-0.3.0-linux-amd64.tar.gz'));
    const list = await catalogue().list();
    expect(list.map((b) => b.file)).toEqual([
      'drover-agent-0.10.0-linux-amd64.tar.gz',
      'drover-agent-0.2.0-linux-arm64.tar.gz',
      'drover-agent-0.1.0-linux-amd64.tar.gz',
    ]);
    const old = list[2]!;
    expect(old).toMatchObject({ version: '0.1.0', arch: 'amd64', size: 14, sha256: sha('data-010-amd64'), path: join(dir, 'data', old.file) });
    expect(verifyBundleSignature(pki.caCertPem, old.file, old.sha256, old.signature)).toBe(true);
    expect(verifyBundleSignature(pki.caCertPem, list[0]!.file, old.sha256, old.signature)).toBe(false);
  });

  it('recomputes the hash when a file changes', async () => {
    const c = catalogue();
    const path = join(dir, 'data', 'drover-agent-0.1.0-linux-amd64.tar.gz');
    await writeFile(path, 'one');
    expect((await c.locate('drover-agent-0.1.0-linux-amd64.tar.gz')).sha256).toBe(sha('one'));
    await writeFile(path, 'second');
    expect((await c.locate('drover-agent-0.1.0-linux-amd64.tar.gz')).sha256).toBe(sha('second'));
  });

  it('names the architectures it has when asked for one it lacks', async () => {
    await writeFile(join(dir, 'dist', 'drover-agent-0.1.0-linux-amd64.tar.gz'), 'a');
    const c = catalogue();
    await expect(c.forArch('mips')).rejects.toThrow(/no agent bundle for architecture "mips" \(bundles are built for amd64, arm64, armv7\): the hub has bundles for amd64/);
    await expect(c.forArch('arm64')).rejects.toBeInstanceOf(BundleNotFoundError);
    await expect(c.locate('drover-agent-0.1.0-linux-armv7.tar.gz')).rejects.toThrow(/architecture "armv7".*bundles for amd64/);
    await expect(c.locate('drover-agent-0.9.0-linux-amd64.tar.gz')).rejects.toThrow(/no agent bundle drover-agent-0.9.0-linux-amd64.tar.gz: the hub has 0.1.0 for amd64/);
    await expect(c.locate('../hub/pki/ca.key')).rejects.toBeInstanceOf(BadBundleNameError);
    expect((await c.forArch('amd64')).map((b) => b.version)).toEqual(['0.1.0']);
  });

  it('says so when there are no bundles at all', async () => {
    await expect(catalogue().forArch('amd64')).rejects.toThrow(/the hub has no bundles \(build them with install\/build-agent-bundle.sh\)/);
  });
});

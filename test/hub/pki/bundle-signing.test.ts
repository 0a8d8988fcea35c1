import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyBundleSignature } from '../../../protocol/bundle-signature.js';
import { silentLogger } from '../../../protocol/logger.js';
import { ensurePki, signBundle } from '../../../hub/pki/index.js';

const dirs: string[] = [];
const newPki = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bundle-sign-'));
  dirs.push(dir);
  return ensurePki({ dataDir: dir, logger: silentLogger() });
};
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('the hub signs agent bundles with its CA key', () => {
  const name = 'drover-agent-0.1.0-linux-arm64.tar.gz';
  const sha = 'ab'.repeat(32);

  it('a signature verifies with the CA certificate, for that name and content only', async () => {
    const pki = await newPki();
    const sig = signBundle(pki, name, sha);
    expect(verifyBundleSignature(pki.caCertPem, name, sha, sig)).toBe(true);
    expect(verifyBundleSignature(pki.caCertPem, name, 'cd'.repeat(32), sig)).toBe(false);
    expect(verifyBundleSignature(pki.caCertPem, 'drover-agent-0.1.0-linux-amd64.tar.gz', sha, sig)).toBe(false);
  });

  it("another hub's CA does not vouch for it", async () => {
    const [a, b] = [await newPki(), await newPki()];
    expect(verifyBundleSignature(b.caCertPem, name, sha, signBundle(a, name, sha))).toBe(false);
  });
});

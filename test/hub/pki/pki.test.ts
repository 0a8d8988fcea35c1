import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { ensurePki, PkiCorruptError, InvalidCertificateRequestError, SERVER_VALIDITY_DAYS } from '../../../hub/pki/index.js';
import { certificateFingerprint } from '../../../hub/pki/x509.js';

const host = { hostname: 'edge-hub', addresses: ['192.168.7.20', 'fd00::20'] };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drover-pki-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ensurePki', () => {
  it('creates a CA and a server certificate that OpenSSL verifies, with the host names, addresses and extra SANs', async () => {
    const pki = await ensurePki({ dataDir: dir, logger: silentLogger(), host, extraSans: ['hub.example.com', '10.9.8.7'] });
    const pkiDir = join(dir, 'pki');
    await writeFile(join(dir, 'server-only.crt'), pki.serverChainPem.split(/(?<=-----END CERTIFICATE-----\n)/)[0]!);
    const verified = await execa('openssl', ['verify', '-CAfile', join(pkiDir, 'ca.crt'), join(dir, 'server-only.crt')]);
    expect(verified.stdout).toContain(': OK');

    const ca = new X509Certificate(await readFile(join(pkiDir, 'ca.crt')));
    expect(ca.ca).toBe(true);
    expect(ca.publicKey.asymmetricKeyType).toBe('ec');
    const caYears = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / (365 * 86_400_000);
    expect(caYears).toBeGreaterThan(9.9);

    const server = new X509Certificate(await readFile(join(pkiDir, 'server.crt')));
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIssued(ca)).toBe(true);
    for (const name of ['localhost', 'edge-hub', 'hub.example.com']) expect(server.checkHost(name)).toBe(name);
    for (const ip of ['127.0.0.1', '::1', '192.168.7.20', '10.9.8.7', 'fd00::20']) expect(server.checkIP(ip)).toBeDefined();
    expect(server.checkHost('evil.example.com')).toBeUndefined();
    expect(server.checkIP('10.9.8.8')).toBeUndefined();
    expect(server.keyUsage ?? []).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
    expect(server.checkPrivateKey(createPrivateKey(pki.serverKeyPem))).toBe(true);

    expect(pki.caFingerprint).toBe(certificateFingerprint(ca.raw));
    // stripFinalNewline off: a DER that happens to end in 0x0a (1 in 256) must keep its last byte
    const opensslDer = await execa('openssl', ['x509', '-in', join(pkiDir, 'ca.crt'), '-outform', 'DER'], { encoding: 'buffer', stripFinalNewline: false });
    expect(certificateFingerprint(Buffer.from(opensslDer.stdout))).toBe(pki.caFingerprint);
    const text = await execa('openssl', ['x509', '-in', join(pkiDir, 'server.crt'), '-noout', '-text']);
    expect(text.stdout).toContain('DNS:hub.example.com');
    expect(text.stdout).toContain('IP Address:10.9.8.7');
  });

  it('writes the keys 0600 inside a 0700 folder', async () => {
    await ensurePki({ dataDir: dir, logger: silentLogger(), host });
    expect((await stat(join(dir, 'pki'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'pki', 'ca.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'pki', 'server.key'))).mode & 0o777).toBe(0o600);
  });

  it('keeps the CA and server certificate across starts, and reissues only the server certificate for a new SAN', async () => {
    const first = await ensurePki({ dataDir: dir, logger: silentLogger(), host });
    const second = await ensurePki({ dataDir: dir, logger: silentLogger(), host });
    expect(second.caFingerprint).toBe(first.caFingerprint);
    expect(second.serverChainPem).toBe(first.serverChainPem);
    const third = await ensurePki({ dataDir: dir, logger: silentLogger(), host, extraSans: ['new.example.com'] });
    expect(third.caFingerprint).toBe(first.caFingerprint);
    expect(third.serverChainPem).not.toBe(first.serverChainPem);
    expect(third.serverAltNames).toContain('new.example.com');
  });

  it('renews a server certificate that is close to expiry', async () => {
    const now = Date.now();
    const first = await ensurePki({ dataDir: dir, logger: silentLogger(), host, clock: () => now });
    const later = now + (SERVER_VALIDITY_DAYS - 30) * 86_400_000;
    const renewed = await ensurePki({ dataDir: dir, logger: silentLogger(), host, clock: () => later });
    expect(renewed.caFingerprint).toBe(first.caFingerprint);
    expect(renewed.serverChainPem).not.toBe(first.serverChainPem);
  });

  it('refuses a CA whose key is missing or does not match instead of silently making a new one', async () => {
    await ensurePki({ dataDir: dir, logger: silentLogger(), host });
    const other = await mkdtemp(join(tmpdir(), 'drover-pki-other-'));
    try {
      await ensurePki({ dataDir: other, logger: silentLogger(), host });
      await writeFile(join(dir, 'pki', 'ca.key'), await readFile(join(other, 'pki', 'ca.key')));
      await expect(ensurePki({ dataDir: dir, logger: silentLogger(), host })).rejects.toBeInstanceOf(PkiCorruptError);
      await rm(join(dir, 'pki', 'ca.key'));
      await expect(ensurePki({ dataDir: dir, logger: silentLogger(), host })).rejects.toThrow(/ca.key is missing/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('rejects a --tls-san that is neither a name nor an address', async () => {
    await expect(ensurePki({ dataDir: dir, logger: silentLogger(), host, extraSans: ['bad name!'] })).rejects.toBeInstanceOf(InvalidCertificateRequestError);
  });
});

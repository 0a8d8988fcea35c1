/**
 * ensurePki: the hub's own certificate authority and TLS server certificate, in <data dir>/pki/:
 *   ca.crt / ca.key          ECDSA P-256, self-signed, 10 years; created once, never replaced silently
 *   server.crt / server.key  ECDSA P-256, signed by the CA, 1 year; SANs localhost, 127.0.0.1, ::1,
 *                            the host's name and addresses and the --tls-san values
 * Keys are written 0600 (atomically), the folder is 0700. The server certificate is issued again at
 * start when it is missing, not signed by this CA, due to expire within 90 days, or does not cover
 * every wanted name (a new --tls-san, a new address): the CA, and so the join-token hash, stays.
 */
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../../protocol/logger.js';
import { writeFileDurable } from '../../protocol/durable-file.js';
import { InvalidCertificateRequestError, PkiCorruptError, PkiStorageError } from './errors.js';
import { isValidAltName, serverAltNames, type HostIdentity } from './sans.js';
import { certificateFingerprint, derToPem, issueCertificate } from './x509.js';

export const CA_VALIDITY_DAYS = 3650;
export const SERVER_VALIDITY_DAYS = 365;
export const SERVER_RENEW_BEFORE_DAYS = 90;
/** The CA's name; loadOrCreateCa refuses a stored CA with another one, so issued certificates chain to it. */
const CA_NAME = { commonName: 'drover-hub-ca', organization: 'Drover' };
const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates start a little in the past, so a node whose clock lags slightly still accepts them. */
const BACKDATE_MS = 60 * 60 * 1000;

export interface PkiOptions {
  /** The hub's data dir; the PKI lives in <dataDir>/pki. */
  dataDir: string;
  /** Extra subjectAltNames for the server certificate (--tls-san): DNS names or IP addresses. */
  extraSans?: readonly string[];
  logger: Logger;
  clock?: () => number;
  /** The host's name and addresses (tests). */
  host?: HostIdentity;
}

export interface Pki {
  dir: string;
  caCertPath: string;
  caCertPem: string;
  /** Hex SHA-256 of the CA certificate's DER (what K10 join tokens carry). */
  caFingerprint: string;
  serverKeyPem: string;
  /** The server certificate followed by the CA certificate: what TLS servers present. */
  serverChainPem: string;
  serverAltNames: string[];
  /** Sign `data` with the CA's key (ECDSA P-256 / SHA-256, DER): what the hub vouches for, e.g. agent bundles. The key itself is never handed out. */
  signWithCa(data: Buffer): Buffer;
}

interface LoadedCa {
  certPem: string;
  cert: X509Certificate;
  key: KeyObject;
}

const newKeyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PkiStorageError(path, 'read', { cause: err });
  }
}

async function write(path: string, data: string, mode: number): Promise<void> {
  try {
    await writeFileDurable(path, data, { mode });
  } catch (err) {
    throw new PkiStorageError(path, 'write', { cause: err });
  }
}

async function loadOrCreateCa(dir: string, now: number, logger: Logger): Promise<LoadedCa> {
  const certPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'ca.key');
  const [certPem, keyPem] = await Promise.all([readOptional(certPath), readOptional(keyPath)]);
  if (certPem !== undefined && keyPem !== undefined) {
    let cert: X509Certificate;
    let key: KeyObject;
    try {
      cert = new X509Certificate(certPem);
      key = createPrivateKey(keyPem);
    } catch (err) {
      throw new PkiCorruptError(dir, 'ca.crt or ca.key does not parse', { cause: err });
    }
    if (!cert.checkPrivateKey(key)) throw new PkiCorruptError(dir, 'ca.key does not belong to ca.crt');
    if (!cert.ca) throw new PkiCorruptError(dir, 'ca.crt is not a CA certificate');
    if (cert.subject !== `O=${CA_NAME.organization}\nCN=${CA_NAME.commonName}`) throw new PkiCorruptError(dir, `ca.crt has an unexpected subject "${cert.subject}"`);
    if (Date.parse(cert.validTo) <= now) throw new PkiCorruptError(dir, `ca.crt expired on ${cert.validTo}`);
    await chmod(keyPath, 0o600).catch((err: unknown) => {
      throw new PkiStorageError(keyPath, 'restrict the mode of', { cause: err });
    });
    return { certPem, cert, key };
  }
  if (certPem !== undefined || keyPem !== undefined) {
    throw new PkiCorruptError(dir, `${certPem === undefined ? 'ca.crt' : 'ca.key'} is missing`);
  }
  const { publicKey, privateKey } = newKeyPair();
  const dn = CA_NAME;
  const der = issueCertificate({
    subject: dn,
    issuer: dn,
    publicKey,
    issuerPrivateKey: privateKey,
    issuerPublicKey: publicKey,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_VALIDITY_DAYS * DAY_MS),
    isCA: true,
  });
  const pem = derToPem(der);
  // key first: a crash in between leaves "ca.crt is missing", never a certificate without its key
  await write(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
  await write(certPath, pem, 0o644);
  logger.info({ fingerprint: certificateFingerprint(der), validTo: new Date(now + CA_VALIDITY_DAYS * DAY_MS).toISOString() }, 'created the hub CA');
  return { certPem: pem, cert: new X509Certificate(pem), key: privateKey };
}

function covers(cert: X509Certificate, name: string): boolean {
  return isIP(name) ? cert.checkIP(name) !== undefined : cert.checkHost(name, { wildcards: false }) !== undefined;
}

function reasonToReissue(pem: string | undefined, keyPem: string | undefined, ca: LoadedCa, names: string[], now: number): string | undefined {
  if (pem === undefined || keyPem === undefined) return 'none yet';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return 'server.key does not match server.crt';
  } catch {
    return 'server.crt or server.key does not parse';
  }
  if (!cert.verify(ca.cert.publicKey)) return 'not signed by the current CA';
  if (Date.parse(cert.validTo) - now < SERVER_RENEW_BEFORE_DAYS * DAY_MS) return `expires ${cert.validTo}`;
  const missing = names.filter((n) => !covers(cert, n));
  return missing.length > 0 ? `does not cover ${missing.join(', ')}` : undefined;
}

/** Load the hub's CA and server certificate, creating or renewing what is needed. */
export async function ensurePki(opts: PkiOptions): Promise<Pki> {
  const logger = opts.logger;
  const now = (opts.clock ?? Date.now)();
  const dir = join(opts.dataDir, 'pki');
  for (const san of opts.extraSans ?? []) {
    if (!isValidAltName(san.trim())) throw new InvalidCertificateRequestError(`--tls-san "${san}" is neither an IP address nor a DNS name`);
  }
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  } catch (err) {
    throw new PkiStorageError(dir, 'create', { cause: err });
  }
  const ca = await loadOrCreateCa(dir, now, logger);
  const names = serverAltNames(opts.extraSans ?? [], opts.host);

  const certPath = join(dir, 'server.crt');
  const keyPath = join(dir, 'server.key');
  let [certPem, keyPem] = await Promise.all([readOptional(certPath), readOptional(keyPath)]);
  const reason = reasonToReissue(certPem, keyPem, ca, names, now);
  if (reason) {
    const { publicKey, privateKey } = newKeyPair();
    const der = issueCertificate({
      subject: { commonName: 'drover-hub', organization: 'Drover' },
      issuer: CA_NAME,
      publicKey,
      issuerPrivateKey: ca.key,
      issuerPublicKey: createPublicKey(ca.key),
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(Math.min(now + SERVER_VALIDITY_DAYS * DAY_MS, Date.parse(ca.cert.validTo))),
      isCA: false,
      altNames: names,
    });
    keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    certPem = derToPem(der);
    await write(keyPath, keyPem, 0o600);
    await write(certPath, certPem, 0o644);
    logger.info({ reason, altNames: names }, 'issued the hub TLS server certificate');
  } else {
    await chmod(keyPath, 0o600).catch((err: unknown) => {
      throw new PkiStorageError(keyPath, 'restrict the mode of', { cause: err });
    });
  }
  const presented = new X509Certificate(certPem!);
  return {
    dir,
    caCertPath: join(dir, 'ca.crt'),
    caCertPem: ca.certPem,
    caFingerprint: certificateFingerprint(ca.cert.raw),
    serverKeyPem: keyPem!,
    serverChainPem: `${certPem!.trimEnd()}\n${ca.certPem.trimEnd()}\n`,
    signWithCa: (data) => sign('sha256', data, ca.key),
    serverAltNames: presented.subjectAltName?.split(', ').map((s) => s.replace(/^(DNS|IP Address):/, '')) ?? [],
  };
}

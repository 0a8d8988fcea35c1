/**
 * Minimal X.509 v3 certificate issuing with node:crypto (which parses certificates but cannot create
 * them): the TBSCertificate is DER-encoded here (der.ts) and signed with ECDSA P-256 / SHA-256.
 * Enough for the hub's own CA and its server certificate; nothing else is supported on purpose.
 */
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
  time,
  tlv,
  unsignedInteger,
  utf8String,
} from './der.js';
import { InvalidCertificateRequestError } from './errors.js';
import { isValidAltName } from './sans.js';

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

export interface DistinguishedName {
  commonName: string;
  organization?: string;
}

export interface CertificateRequest {
  subject: DistinguishedName;
  /** The subject's public key. */
  publicKey: KeyObject;
  /** Who signs: its name and private key (the subject's own for a self-signed CA). */
  issuer: DistinguishedName;
  issuerPrivateKey: KeyObject;
  /** The issuer's public key, for the authority key identifier. */
  issuerPublicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** A CA certificate (may sign others) or an end-entity (TLS server and client) one. */
  isCA: boolean;
  /** subjectAltName entries; IP addresses go in as iPAddress, the rest as dNSName. */
  altNames?: string[];
}

function name(dn: DistinguishedName): Buffer {
  const rdns = [];
  if (dn.organization) rdns.push(set(sequence(objectIdentifier(OID.organization), utf8String(dn.organization))));
  rdns.push(set(sequence(objectIdentifier(OID.commonName), utf8String(dn.commonName))));
  return sequence(...rdns);
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** The 16 bytes of an IPv6 address (with "::" and an embedded IPv4 tail). */
function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const groups = (part: string | undefined): number[] => {
    if (!part) return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (isIPv4(g)) {
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const buf = Buffer.alloc(16);
  all.forEach((g, i) => buf.writeUInt16BE(g, i * 2));
  return buf;
}

export function ipAddressBytes(address: string): Buffer | undefined {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (isIPv6(address)) return ipv6Bytes(address);
  return undefined;
}

function altName(entry: string): Buffer {
  const ip = ipAddressBytes(entry);
  if (ip) return implicitPrimitive(7, ip);
  if (!isValidAltName(entry)) {
    throw new InvalidCertificateRequestError(`"${entry}" is neither an IP address nor a DNS name`);
  }
  return implicitPrimitive(2, Buffer.from(entry, 'ascii'));
}

/** Key identifier: SHA-1 of the SubjectPublicKeyInfo (RFC 7093 allows any stable hash of the key). */
export function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1').update(publicKey.export({ type: 'spki', format: 'der' })).digest();
}

/** Issue a certificate; returns its DER. */
export function issueCertificate(req: CertificateRequest): Buffer {
  if (req.publicKey.asymmetricKeyType !== 'ec' || req.issuerPrivateKey.asymmetricKeyType !== 'ec') {
    throw new InvalidCertificateRequestError('only ECDSA (P-256) keys are supported');
  }
  if (!(req.notAfter.getTime() > req.notBefore.getTime())) throw new InvalidCertificateRequestError('notAfter must be after notBefore');
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));

  const extensions = [
    extension(OID.basicConstraints, true, req.isCA ? sequence(boolean(true)) : sequence()),
    // keyUsage BIT STRING with trailing zero bits dropped: CA digitalSignature|keyCertSign|cRLSign, leaf digitalSignature.
    extension(OID.keyUsage, true, req.isCA ? tlv(0x03, Buffer.from([0x01, 0x86])) : tlv(0x03, Buffer.from([0x07, 0x80]))),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(req.publicKey))),
  ];
  if (!req.isCA) {
    extensions.push(extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth), objectIdentifier(OID.clientAuth))));
    extensions.push(extension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, keyIdentifier(req.issuerPublicKey)))));
  }
  if (req.altNames && req.altNames.length > 0) {
    extensions.push(extension(OID.subjectAltName, false, sequence(...req.altNames.map(altName))));
  }

  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serial),
    algorithm,
    name(req.issuer),
    sequence(time(req.notBefore), time(req.notAfter)),
    name(req.subject),
    req.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, req.issuerPrivateKey);
  return sequence(tbs, algorithm, bitString(signature));
}

export function derToPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** Lowercase hex SHA-256 of a certificate's DER: what a K10 join token carries. */
export function certificateFingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * Trust on first use, checked (as K3s does): the join token carries the SHA-256 of the hub CA's DER.
 * Before sending anything, the agent opens a TLS connection without verification, takes the chain
 * the hub presents, and keeps the certificate whose hash matches the token. The real connection then
 * verifies the hub against that CA (chain and hostname). Nothing but a TLS handshake reaches a hub
 * whose CA does not match.
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import { isIP } from 'node:net';
import { HubCaMismatchError, HubUnreachableError, InsecureHubError } from '../errors.js';
import { assertTransportAllowed, parseHubAddress } from './hub-address.js';

export const DEFAULT_CA_FETCH_TIMEOUT_MS = 10_000;

function toPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** The DER of every certificate in the presented chain, leaf first. */
function chainOf(leaf: DetailedPeerCertificate): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<PeerCertificate>();
  let cert: DetailedPeerCertificate | undefined = leaf;
  while (cert && cert.raw && !seen.has(cert)) {
    seen.add(cert);
    out.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return out;
}

/** The TLS chain the server at host:port presents (no verification, nothing sent after the handshake). */
export async function presentedChain(host: string, port: number, timeoutMs = DEFAULT_CA_FETCH_TIMEOUT_MS): Promise<Buffer[]> {
  const { connect } = await import('node:tls'); // loaded when used: an agent on plain loopback MQTT never needs TLS
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TLS handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const chain = chainOf(socket.getPeerCertificate(true));
      socket.destroy();
      resolve(chain);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

const NOT_TLS_HINT = "that port does not speak TLS: a hub's plain MQTT listener (loopback only) takes mqtt://, its mqtts listener is usually port 8883";

/** The peer hung up on, or answered the TLS hello with something that is not TLS: a plain listener. */
function speaksNoTls(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === 'EPROTO' || /before secure TLS connection was established|wrong version number|packet length too long/i.test(e.message ?? '');
}

export function sha256Hex(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * The hub's CA certificate (PEM), checked against `expectedHash` (hex SHA-256 of its DER).
 * Throws HubCaMismatchError (nothing sent) or HubUnreachableError.
 */
export async function fetchHubCa(hubUrl: string, expectedHash: string, timeoutMs?: number): Promise<string> {
  const { host, port } = parseHubAddress(hubUrl);
  let chain: Buffer[];
  try {
    chain = await presentedChain(host, port, timeoutMs);
  } catch (err) {
    throw new HubUnreachableError(hubUrl, { cause: err, ...(speaksNoTls(err) ? { hint: NOT_TLS_HINT } : {}) });
  }
  const hashes = chain.map(sha256Hex);
  const i = hashes.indexOf(expectedHash.toLowerCase());
  if (i < 0) throw new HubCaMismatchError(hubUrl, expectedHash, hashes);
  const der = chain[i]!;
  if (!new X509Certificate(der).ca) throw new HubCaMismatchError(hubUrl, expectedHash, hashes);
  return toPem(der);
}

/**
 * The TLS part of the mqtt.js options for a hub address: none for plain loopback MQTT; for mqtts the
 * pinned CA and full verification. Throws InsecureHubError for plain MQTT to another machine and for
 * TLS without a pinned CA.
 */
export function mqttTlsOptions(hubUrl: string, caCert: string | undefined): { ca?: string; rejectUnauthorized?: boolean } {
  const address = assertTransportAllowed(hubUrl);
  if (!address.tls) return {};
  if (!caCert) {
    throw new InsecureHubError(
      `no hub CA is pinned for ${hubUrl}: join with a token that carries the CA hash (K10...::drover-join...) from \`drover token create\``,
    );
  }
  return { ca: caCert, rejectUnauthorized: true };
}

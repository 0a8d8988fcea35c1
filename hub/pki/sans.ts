/** The names and addresses the hub's server certificate is valid for. */
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';

const DNS_NAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;

/** True when `entry` can go into a certificate's subjectAltName (an IP address or a DNS name). */
export function isValidAltName(entry: string): boolean {
  return isIP(entry) !== 0 || (entry.length <= 253 && DNS_NAME.test(entry));
}

export interface HostIdentity {
  hostname: string;
  /** Interface addresses (link-local IPv6 with zones is skipped). */
  addresses: string[];
}

export function currentHostIdentity(): HostIdentity {
  const addresses: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:')) continue;
      addresses.push(a.address);
    }
  }
  return { hostname: osHostname(), addresses };
}

/**
 * localhost, 127.0.0.1, ::1, the host's name and addresses, then `extra` (--tls-san); deduplicated,
 * lowercase, invalid host names dropped (extra names are checked by the caller first).
 */
export function serverAltNames(extra: readonly string[] = [], host: HostIdentity = currentHostIdentity()): string[] {
  const names = ['localhost', '127.0.0.1', '::1', host.hostname, ...host.addresses, ...extra].map((n) => n.trim().toLowerCase());
  return [...new Set(names.filter((n) => n && isValidAltName(n)))];
}

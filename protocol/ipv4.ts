/** IPv4 addresses and CIDR blocks as numbers: pod CIDRs per node, Service IPs, the bridge address. Pure. */
import { DroverError } from './errors.js';

export interface Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

/** A string that is not the IPv4 address or block it should be. */
export class CidrError extends DroverError {
  constructor(message: string) {
    super('EPROTOCOL_ADDRESS', message);
  }
}

export function ipToNumber(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new CidrError(`"${ip}" is not an IPv4 address`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new CidrError(`"${ip}" is not an IPv4 address`);
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** Parse "10.42.0.0/16"; the address is masked to its network. */
export function parseCidr(text: string): Cidr {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m) throw new CidrError(`"${text}" is not a CIDR block such as 10.42.0.0/16`);
  const prefix = Number(m[2]);
  if (prefix > 32) throw new CidrError(`"${text}": the prefix must be 0..32`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ipToNumber(m[1]!) & mask) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${numberToIp(c.base)}/${c.prefix}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function cidrContains(c: Cidr, ip: string | number): boolean {
  const n = typeof ip === 'number' ? ip : ipToNumber(ip);
  return n >= c.base && n < c.base + cidrSize(c);
}

/** Whether two blocks share any address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

/** The `index`-th block of `prefix` bits inside `parent` (10.42.0.0/16, /24, 3 -> 10.42.3.0/24). */
export function subnet(parent: Cidr, prefix: number, index: number): Cidr {
  if (prefix < parent.prefix) throw new CidrError(`a /${prefix} does not fit in ${formatCidr(parent)}`);
  return { base: (parent.base + index * 2 ** (32 - prefix)) >>> 0, prefix };
}

/** How many blocks of `prefix` bits `parent` holds. */
export function subnetCount(parent: Cidr, prefix: number): number {
  return 2 ** (prefix - parent.prefix);
}

/** The `n`-th address of a block (1 = the first host: a node's bridge address, 10.42.3.1). */
export function hostAddress(c: Cidr, n: number): string {
  return numberToIp((c.base + n) >>> 0);
}

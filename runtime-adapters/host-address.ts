import { networkInterfaces } from 'node:os';

/** The address a host-network container is reachable at: the first non-internal IPv4, else loopback. */
export function hostAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && !a.internal) return a.address;
    }
  }
  return '127.0.0.1';
}

/**
 * Stale UDP flows: conntrack keeps a UDP "connection" (a client's address and port to a Service) on the
 * endpoint it was DNATed to for as long as packets keep coming, so a client that reuses its socket
 * would go on sending to an endpoint that has left. As kube-proxy does, the proxy deletes those
 * entries when an endpoint leaves a UDP Service (`conntrack -D`, Debian's conntrack package). TCP needs
 * nothing: a gone endpoint's connections fail and the client connects anew.
 */
import type { UdpBackend } from './service-proxy-ruleset.js';

/** `conntrack -D` argument lists for the entries of endpoints that served a UDP Service port before and do not now. */
export function staleUdpDeletions(before: readonly UdpBackend[], after: readonly UdpBackend[]): string[][] {
  const now = new Map(after.map((b) => [`${b.clusterIP}:${b.port}`, new Set(b.endpoints)]));
  const nowNodePort = new Map(after.filter((b) => b.nodePort !== undefined).map((b) => [b.nodePort!, new Set(b.endpoints)]));
  const out: string[][] = [];
  for (const b of before) {
    const kept = now.get(`${b.clusterIP}:${b.port}`) ?? new Set<string>();
    const keptNodePort = b.nodePort !== undefined ? (nowNodePort.get(b.nodePort) ?? new Set<string>()) : undefined;
    for (const ep of b.endpoints) {
      if (!kept.has(ep)) out.push(['-D', '-p', 'udp', '--orig-dst', b.clusterIP, '--orig-port-dst', String(b.port), '--dst-nat', ep]);
      if (keptNodePort && !keptNodePort.has(ep)) out.push(['-D', '-p', 'udp', '--orig-port-dst', String(b.nodePort), '--dst-nat', ep]);
    }
  }
  return out;
}

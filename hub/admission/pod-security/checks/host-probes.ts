/**
 * Baseline (Kubernetes 1.34+): probes may not name a host (httpGet.host, tcpSocket.host). Drover's
 * agent runs probes from the node, so a probe host would reach whatever the node can reach.
 */
import type { Probe } from '../../../../protocol/objects/pod.js';
import { ALLOWED, containersOf, forbidden, joinQuote, pluralize, sortedSet, type Check } from '../check.js';

function probeHosts(probe: Probe | undefined): string[] {
  if (!probe) return [];
  return [probe.httpGet?.host, probe.tcpSocket?.host].filter((h): h is string => h !== undefined && h !== '');
}

export const hostProbes: Check = {
  id: 'hostProbesAndHostLifecycle',
  level: 'baseline',
  check(spec) {
    const containers: string[] = [];
    const hosts: string[] = [];
    for (const c of containersOf(spec)) {
      const found = [c.livenessProbe, c.readinessProbe, c.startupProbe].flatMap(probeHosts);
      if (found.length === 0) continue;
      containers.push(c.name);
      hosts.push(...found);
    }
    if (containers.length === 0) return ALLOWED;
    const names = sortedSet(containers);
    const unique = sortedSet(hosts);
    return forbidden(
      'probe or lifecycle host',
      `${pluralize('container', 'containers', names.length)} ${joinQuote(names)} ${pluralize('uses', 'use', names.length)} ${pluralize('probe or lifecycle host', 'probe or lifecycle hosts', unique.length)} ${joinQuote(unique)}`,
    );
  },
};

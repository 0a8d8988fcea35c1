/** Baseline: host ports are forbidden (spec.containers[*].ports[*].hostPort must be unset or 0). */
import { ALLOWED, containersOf, forbidden, joinQuote, pluralize, sortedSet, type Check } from '../check.js';

export const hostPorts: Check = {
  id: 'hostPorts',
  level: 'baseline',
  check(spec) {
    const containers: string[] = [];
    const ports: string[] = [];
    for (const c of containersOf(spec)) {
      const used = (c.ports ?? []).filter((p) => p.hostPort !== undefined && p.hostPort !== 0).map((p) => String(p.hostPort));
      if (used.length === 0) continue;
      containers.push(c.name);
      ports.push(...used);
    }
    if (containers.length === 0) return ALLOWED;
    const unique = sortedSet(ports);
    return forbidden(
      'hostPort',
      `${pluralize('container', 'containers', containers.length)} ${joinQuote(containers)} ${pluralize('uses', 'use', containers.length)} ${pluralize('hostPort', 'hostPorts', unique.length)} ${unique.join(', ')}`,
    );
  },
};

/** Baseline: hostPath volumes are forbidden (a mounted containerd.sock or docker.sock is one). */
import { ALLOWED, forbidden, joinQuote, pluralize, type Check } from '../check.js';

export const hostPathVolumes: Check = {
  id: 'hostPathVolumes',
  level: 'baseline',
  check(spec) {
    const names = (spec.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => v.name);
    return names.length > 0 ? forbidden('hostPath volumes', `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)}`) : ALLOWED;
  },
};

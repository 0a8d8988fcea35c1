/** Baseline: sharing the host's namespaces is disallowed (spec.hostNetwork; Drover's pods have no hostPID or hostIPC). */
import { ALLOWED, forbidden, type Check } from '../check.js';

export const hostNamespaces: Check = {
  id: 'hostNamespaces',
  level: 'baseline',
  check(spec) {
    const shared = spec.hostNetwork ? ['hostNetwork=true'] : [];
    return shared.length > 0 ? forbidden('host namespaces', shared.join(', ')) : ALLOWED;
  },
};

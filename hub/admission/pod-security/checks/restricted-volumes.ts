/**
 * Restricted: only configMap, emptyDir, persistentVolumeClaim and secret volumes among Drover's volume
 * types (Kubernetes also allows csi, downwardAPI, ephemeral and projected, which Drover's pod spec does
 * not have). Replaces the baseline hostPath check at this level.
 */
import type { Volume } from '../../../../protocol/objects/pod.js';
import { ALLOWED, forbidden, joinQuote, pluralize, sortedSet, type Check } from '../check.js';

function restrictedType(v: Volume): string | undefined {
  if (v.configMap || v.emptyDir || v.secret || v.persistentVolumeClaim) return undefined;
  return v.hostPath ? 'hostPath' : 'unknown';
}

export const restrictedVolumes: Check = {
  id: 'restrictedVolumes',
  level: 'restricted',
  overrides: ['hostPathVolumes'],
  check(spec) {
    const bad = (spec.volumes ?? []).flatMap((v) => {
      const type = restrictedType(v);
      return type ? [{ name: v.name, type }] : [];
    });
    if (bad.length === 0) return ALLOWED;
    const types = sortedSet(bad.map((b) => b.type));
    return forbidden(
      'restricted volume types',
      `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad.map((b) => b.name))} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', types.length)} ${joinQuote(types)}`,
    );
  },
};

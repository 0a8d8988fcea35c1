import { nodeRunsPlatform } from '../image-platforms.js';
import { nodeFacts } from '../facts.js';
import { imagePlatforms } from '../snapshot.js';
import { FITS, SKIP, unfit, type NodeFilter } from './filter.js';
import type { Pod } from '../../../protocol/index.js';
import type { ClusterSnapshot } from '../snapshot.js';

/** The reason, naming the image and what it was built for (Kubernetes has no such filter; the wording follows its others). */
export function imagePlatformReason(image: string, platforms: readonly string[]): string {
  return `node(s) didn't match the image's platform (${image} is ${[...platforms].sort().join(', ')})`;
}

/**
 * Every container's image must have a platform the node's os/arch runs, when the fleet knows the image's
 * platforms (an image nobody reports platforms for passes: the pull will tell). Without this a Pi would be
 * given an amd64-only image and fail with "exec format error".
 */
type KnownPlatforms = Array<{ image: string; platforms: string[] }>;

function knownPlatforms(pod: Pod, snapshot: ClusterSnapshot): KnownPlatforms {
  const out: KnownPlatforms = [];
  for (const c of pod.spec.containers) {
    const known = imagePlatforms(snapshot, c.image);
    if (known && known.size > 0) out.push({ image: c.image, platforms: [...known] });
  }
  return out;
}

export const imagePlatform: NodeFilter<KnownPlatforms | typeof SKIP> = {
  name: 'ImagePlatform',
  /** The pod's images whose platforms the fleet knows; none: nothing to check. */
  preFilter(pod, snapshot) {
    const known = knownPlatforms(pod, snapshot);
    return known.length === 0 ? SKIP : known;
  },
  filter(pod, node, snapshot, state) {
    const known = state === SKIP ? [] : (state ?? knownPlatforms(pod, snapshot));
    if (known.length === 0) return FITS;
    const platform = nodeFacts(node).platform;
    if (!platform) return FITS;
    for (const { image, platforms } of known) {
      if (!platforms.some((p) => nodeRunsPlatform(platform.os, platform.arch, p))) return unfit(imagePlatformReason(image, platforms));
    }
    return FITS;
  },
};

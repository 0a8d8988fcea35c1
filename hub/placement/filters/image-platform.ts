import { nodePlatform, nodeRunsPlatform } from '../image-platforms.js';
import { imagePlatforms } from '../snapshot.js';
import { FITS, unfit, type NodeFilter } from './filter.js';

/** The reason, naming the image and what it was built for (Kubernetes has no such filter; the wording follows its others). */
export function imagePlatformReason(image: string, platforms: readonly string[]): string {
  return `node(s) didn't match the image's platform (${image} is ${[...platforms].sort().join(', ')})`;
}

/**
 * Every container's image must have a platform the node's os/arch runs, when the fleet knows the image's
 * platforms (an image nobody reports platforms for passes: the pull will tell). Without this a Pi would be
 * given an amd64-only image and fail with "exec format error".
 */
export const imagePlatform: NodeFilter = {
  name: 'ImagePlatform',
  filter(pod, node, snapshot) {
    const platform = nodePlatform(node);
    if (!platform) return FITS;
    for (const c of pod.spec.containers) {
      const known = imagePlatforms(snapshot, c.image);
      if (!known || known.size === 0) continue;
      if (![...known].some((p) => nodeRunsPlatform(platform.os, platform.arch, p))) return unfit(imagePlatformReason(c.image, [...known]));
    }
    return FITS;
  },
};

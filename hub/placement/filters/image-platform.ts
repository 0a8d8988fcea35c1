import { nodeRunsPlatform } from '../image-platforms.js';
import { nodeFacts } from '../facts.js';
import { imagePlatforms } from '../snapshot.js';
import { FITS, SKIP, unfit, type FilterResult, type NodeFilter } from './filter.js';
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

/** The pod's known image platforms, and the verdict for each node platform ("os/arch") met so far. */
interface PlatformState {
  known: KnownPlatforms;
  verdicts: Map<string, FilterResult>;
}

function knownPlatforms(pod: Pod, snapshot: ClusterSnapshot): KnownPlatforms {
  const out: KnownPlatforms = [];
  for (const c of pod.spec.containers) {
    const known = imagePlatforms(snapshot, c.image);
    if (known && known.size > 0) out.push({ image: c.image, platforms: [...known] });
  }
  return out;
}

function verdict(known: KnownPlatforms, os: string, arch: string): FilterResult {
  for (const { image, platforms } of known) {
    if (!platforms.some((p) => nodeRunsPlatform(os, arch, p))) return unfit(imagePlatformReason(image, platforms));
  }
  return FITS;
}

export const imagePlatform: NodeFilter<PlatformState | typeof SKIP> = {
  name: 'ImagePlatform',
  /** The pod's images whose platforms the fleet knows; none: nothing to check. */
  preFilter(pod, snapshot) {
    const known = knownPlatforms(pod, snapshot);
    return known.length === 0 ? SKIP : { known, verdicts: new Map() };
  },
  filter(pod, node, snapshot, state, view) {
    if (state === SKIP) return FITS;
    const facts = view?.facts ?? nodeFacts(node);
    const platform = facts.platform;
    if (!platform) return FITS;
    if (!state) {
      const known = knownPlatforms(pod, snapshot);
      return known.length === 0 ? FITS : verdict(known, platform.os, platform.arch);
    }
    // a fleet has a handful of platforms: decide once per platform and pod, not once per node
    let v = state.verdicts.get(facts.platformKey!);
    if (v === undefined) state.verdicts.set(facts.platformKey!, (v = verdict(state.known, platform.os, platform.arch)));
    return v;
  },
};

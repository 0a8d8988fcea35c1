/**
 * What the fleet knows about an image's platforms, and whether a node's os/arch can run one of them.
 *
 * Nodes report, per local image, the complete platform list when their runtime knows it
 * (node.status.images[].platforms, see runtime-adapters ImageInfo). The image's known platforms are the
 * union over every node's report; an image no node reports platforms for is unknown, and is not filtered.
 */
import type { Node } from '../../protocol/index.js';
import { normalizeImageName } from './facts.js';
import { LABEL_ARCH, LABEL_OS } from '../../protocol/well-known.js';

/** normalized image name -> union of the platforms nodes report for it. */
export function imagePlatformIndex(nodes: readonly Node[]): Map<string, ReadonlySet<string>> {
  const index = new Map<string, Set<string>>();
  for (const node of nodes) {
    for (const image of node.status?.images ?? []) {
      if (!image.platforms || image.platforms.length === 0) continue;
      for (const name of image.names) {
        const key = normalizeImageName(name);
        let set = index.get(key);
        if (!set) index.set(key, (set = new Set()));
        for (const p of image.platforms) set.add(p);
      }
    }
  }
  return index;
}

/**
 * Architectures a node of `nodeArch` also runs, following containerd's platform matcher
 * (platforms.Only): amd64 runs 386 images, arm64 runs 32-bit arm ones.
 */
const ALSO_RUNS: Record<string, readonly string[]> = { amd64: ['386'], arm64: ['arm'] };

/** Can a node of this os/arch run an image built for `platform` ("os/arch[/variant]")? Variants are not compared. */
export function nodeRunsPlatform(nodeOs: string, nodeArch: string, platform: string): boolean {
  const [os, arch] = platform.split('/');
  if (os !== nodeOs || !arch) return false;
  return arch === nodeArch || (ALSO_RUNS[nodeArch] ?? []).includes(arch);
}

/** The node's os and arch, from its well-known labels (or nodeInfo); undefined when it does not say. */
export function nodePlatform(node: Node): { os: string; arch: string } | undefined {
  const labels = node.metadata.labels ?? {};
  const os = labels[LABEL_OS] ?? node.status?.nodeInfo?.operatingSystem;
  const arch = labels[LABEL_ARCH] ?? node.status?.nodeInfo?.architecture;
  return os && arch ? { os, arch } : undefined;
}

import { imagesOnNode } from '../snapshot.js';
import { MAX_NODE_SCORE, type NodeScorer } from './scorer.js';

/**
 * The canonical form of an image reference, so that "busybox", "busybox:latest" and
 * "docker.io/library/busybox:latest" compare equal: default registry docker.io, default repository
 * prefix library/ for one-part names, default tag latest (unless a digest is given).
 */
export function normalizeImageName(ref: string): string {
  let name = ref.trim();
  let digest = '';
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at);
    name = name.slice(0, at);
  }
  let tag = '';
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon);
    name = name.slice(0, colon);
  } else if (digest === '') {
    tag = ':latest';
  }
  const parts = name.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) name = parts.length === 1 ? `docker.io/library/${name}` : `docker.io/${name}`;
  return name + tag + digest;
}

/**
 * Prefers nodes that already hold the pod's images (status.images names): the share of the pod's
 * distinct images present, 0..100. (Kubernetes weighs by image size and spread; edge agents do not
 * always report sizes, so Drover counts images.)
 */
export const imageLocality: NodeScorer = {
  name: 'ImageLocality',
  score(pod, node, snapshot) {
    const wanted = new Set(pod.spec.containers.map((c) => normalizeImageName(c.image)));
    if (wanted.size === 0) return 0;
    const present = new Set(imagesOnNode(snapshot, node).map(normalizeImageName));
    let have = 0;
    for (const image of wanted) if (present.has(image)) have++;
    return Math.floor((have * MAX_NODE_SCORE) / wanted.size);
  },
};

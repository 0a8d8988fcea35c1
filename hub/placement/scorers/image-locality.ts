import { normalizeImageName } from '../image-names.js';
import { podFacts } from '../facts.js';
import { imageSetOnNode } from '../snapshot.js';
import { MAX_NODE_SCORE, type NodeScorer } from './scorer.js';

/**
 * Prefers nodes that already hold the pod's images (status.images names): the share of the pod's
 * distinct images present, 0..100. (Kubernetes weighs by image size and spread; edge agents do not
 * always report sizes, so Drover counts images.)
 */
export const imageLocality: NodeScorer<readonly string[]> = {
  name: 'ImageLocality',
  preScore: (pod) => podFacts(pod).images,
  score(pod, node, snapshot, view, state) {
    const wanted = state ?? podFacts(pod).images;
    if (wanted.length === 0) return 0;
    const present = view?.imageSet ?? imageSetOnNode(snapshot, node);
    let have = 0;
    for (const image of wanted) if (present.has(image)) have++;
    return Math.floor((have * MAX_NODE_SCORE) / wanted.length);
  },
};

export { normalizeImageName };

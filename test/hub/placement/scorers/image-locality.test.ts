import { describe, expect, it } from 'vitest';
import { imageLocality, normalizeImageName } from '../../../../hub/placement/scorers/image-locality.js';
import { snapshotFromObjects } from '../../../../hub/placement/snapshot.js';
import { makeNode, makePod } from '../fixtures.js';

describe('imageLocality scorer', () => {
  it('normalizes image references the way registries name them', () => {
    expect(normalizeImageName('busybox')).toBe('docker.io/library/busybox:latest');
    expect(normalizeImageName('busybox:1.36')).toBe('docker.io/library/busybox:1.36');
    expect(normalizeImageName('grafana/agent')).toBe('docker.io/grafana/agent:latest');
    expect(normalizeImageName('drover.local/busybox:test')).toBe('drover.local/busybox:test');
    expect(normalizeImageName('localhost:5000/app')).toBe('localhost:5000/app:latest');
    expect(normalizeImageName('busybox@sha256:abc')).toBe('docker.io/library/busybox@sha256:abc');
  });

  it('scores 100 on a node holding the image, 0 on one without', () => {
    const has = makeNode('has', { images: ['docker.io/library/busybox:latest'] });
    const lacks = makeNode('lacks', { images: ['docker.io/library/nginx:latest'] });
    const snap = snapshotFromObjects([has, lacks], []);
    const pod = makePod('p', { image: 'busybox' });
    expect(imageLocality.score(pod, has, snap)).toBe(100);
    expect(imageLocality.score(pod, lacks, snap)).toBe(0);
  });

  it('scores the share of the pod\'s distinct images present', () => {
    const node = makeNode('n', { images: ['drover.local/a:1'] });
    const pod = makePod('p', {
      containers: [
        { name: 'a', image: 'drover.local/a:1' },
        { name: 'b', image: 'drover.local/b:1' },
      ],
    });
    expect(imageLocality.score(pod, node, snapshotFromObjects([node], []))).toBe(50);
  });

  it('prefers the snapshot\'s imagesOnNode when given', () => {
    const node = makeNode('n');
    const pod = makePod('p', { image: 'drover.local/busybox:test' });
    const snap = { nodes: [node], podsOnNode: () => [], imagesOnNode: () => ['drover.local/busybox:test'] };
    expect(imageLocality.score(pod, node, snap)).toBe(100);
  });
});

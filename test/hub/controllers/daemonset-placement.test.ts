import { describe, expect, it } from 'vitest';
import { placeDaemonPod, withDaemonTolerations } from '../../../hub/controllers/daemonset-placement.js';
import { snapshotFromObjects } from '../../../hub/placement/snapshot.js';
import { makeNode, makePod } from '../placement/fixtures.js';

describe('placeDaemonPod and the image platform', () => {
  const image = 'drover.local/exporter:arm64';
  const pi = makeNode('pi', { labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64' }, imagePlatforms: { [image]: ['linux/arm64'] } });
  const x86 = makeNode('x86', { labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } });
  const snapshot = snapshotFromObjects([pi, x86], []);
  const pod = () => {
    const p = makePod('ds-pod', { image });
    p.spec.tolerations = withDaemonTolerations(undefined);
    return p;
  };

  it('runs a daemon pod only on nodes that run its image platform', () => {
    expect(placeDaemonPod(pod(), pi, snapshot).shouldRun).toBe(true);
    expect(placeDaemonPod(pod(), x86, snapshot)).toEqual({ shouldRun: false, shouldContinueRunning: true });
  });

  it('places it everywhere when nobody knows the image platforms', () => {
    const unknown = snapshotFromObjects([x86], []);
    expect(placeDaemonPod(pod(), x86, unknown).shouldRun).toBe(true);
  });
});

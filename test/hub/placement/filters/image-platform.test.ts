import { describe, expect, it } from 'vitest';
import { imagePlatform, imagePlatformReason } from '../../../../hub/placement/filters/image-platform.js';
import { nodeRunsPlatform } from '../../../../hub/placement/image-platforms.js';
import { schedulePod } from '../../../../hub/placement/schedule.js';
import { snapshotFromObjects } from '../../../../hub/placement/snapshot.js';
import { makeNode, makePod } from '../fixtures.js';

const ARM_ONLY = 'drover.local/sensor:arm';
const amd64 = (name: string, extra: Parameters<typeof makeNode>[1] = {}) =>
  makeNode(name, { ...extra, labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', ...extra.labels } });
const arm64 = (name: string, extra: Parameters<typeof makeNode>[1] = {}) =>
  makeNode(name, { ...extra, labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64', ...extra.labels } });

describe('nodeRunsPlatform', () => {
  it('matches os and arch, ignores the variant, and lets amd64 run 386 and arm64 run arm as containerd does', () => {
    expect(nodeRunsPlatform('linux', 'arm64', 'linux/arm64/v8')).toBe(true);
    expect(nodeRunsPlatform('linux', 'arm64', 'linux/arm/v7')).toBe(true);
    expect(nodeRunsPlatform('linux', 'arm', 'linux/arm64')).toBe(false);
    expect(nodeRunsPlatform('linux', 'amd64', 'linux/386')).toBe(true);
    expect(nodeRunsPlatform('linux', 'amd64', 'linux/arm64')).toBe(false);
    expect(nodeRunsPlatform('linux', 'amd64', 'windows/amd64')).toBe(false);
    expect(nodeRunsPlatform('linux', 'amd64', 'linux')).toBe(false);
  });
});

describe('ImagePlatform filter', () => {
  it('refuses a node whose arch the image was not built for, naming the image and its platforms', () => {
    const nodes = [arm64('pi', { imagePlatforms: { [ARM_ONLY]: ['linux/arm64'] } }), amd64('x86')];
    const snapshot = snapshotFromObjects(nodes, []);
    const pod = makePod('p', { image: ARM_ONLY });
    expect(imagePlatform.filter(pod, nodes[0]!, snapshot)).toEqual({ ok: true });
    expect(imagePlatform.filter(pod, nodes[1]!, snapshot)).toEqual({
      ok: false,
      reason: "node(s) didn't match the image's platform (drover.local/sensor:arm is linux/arm64)",
    });
  });

  it('knows the platforms from any node that reports them, under any spelling of the name', () => {
    const nodes = [arm64('pi', { imagePlatforms: { 'docker.io/library/sensor:1': ['linux/arm64', 'linux/arm/v7'] } }), amd64('x86')];
    const pod = makePod('p', { image: 'sensor:1' });
    const verdict = imagePlatform.filter(pod, nodes[1]!, snapshotFromObjects(nodes, []));
    expect(verdict).toEqual({ ok: false, reason: imagePlatformReason('sensor:1', ['linux/arm64', 'linux/arm/v7']) });
  });

  it('passes images nobody reports platforms for, and nodes that do not say their arch', () => {
    const nodes = [amd64('x86', { images: [ARM_ONLY] }), makeNode('bare')];
    const snapshot = snapshotFromObjects(nodes, []);
    expect(imagePlatform.filter(makePod('p', { image: ARM_ONLY }), nodes[0]!, snapshot).ok).toBe(true);
    const known = snapshotFromObjects([arm64('pi', { imagePlatforms: { [ARM_ONLY]: ['linux/arm64'] } }), nodes[1]!], []);
    expect(imagePlatform.filter(makePod('p', { image: ARM_ONLY }), nodes[1]!, known).ok).toBe(true);
  });

  it('a multi-platform image fits both arches; the union over nodes counts', () => {
    const nodes = [
      arm64('pi', { imagePlatforms: { [ARM_ONLY]: ['linux/arm64'] } }),
      amd64('x86', { imagePlatforms: { [ARM_ONLY]: ['linux/amd64'] } }),
    ];
    const snapshot = snapshotFromObjects(nodes, []);
    for (const n of nodes) expect(imagePlatform.filter(makePod('p', { image: ARM_ONLY }), n, snapshot).ok).toBe(true);
  });

  it('every container counts: one foreign image is enough to refuse the node', () => {
    const nodes = [amd64('x86', { imagePlatforms: { 'drover.local/ok:1': ['linux/amd64'] } }), arm64('pi', { imagePlatforms: { [ARM_ONLY]: ['linux/arm64'] } })];
    const pod = makePod('p', {
      containers: [
        { name: 'a', image: 'drover.local/ok:1' },
        { name: 'b', image: ARM_ONLY },
      ],
    });
    const snapshot = snapshotFromObjects(nodes, []);
    expect(imagePlatform.filter(pod, nodes[0]!, snapshot).ok).toBe(false);
    expect(imagePlatform.filter(pod, nodes[1]!, snapshot).ok).toBe(false);
  });

  it('the scheduler places the pod on the node that runs its platform, or says why none does', () => {
    const nodes = [arm64('pi', { imagePlatforms: { [ARM_ONLY]: ['linux/arm64'] } }), amd64('x86-1'), amd64('x86-2')];
    expect(schedulePod(makePod('p', { image: ARM_ONLY }), snapshotFromObjects(nodes, [])).node).toBe('pi');
    const piDown = arm64('pi', { ready: false, imagePlatforms: { [ARM_ONLY]: ['linux/arm64'] } });
    const result = schedulePod(makePod('p', { image: ARM_ONLY }), snapshotFromObjects([piDown, nodes[1]!, nodes[2]!], []));
    expect(result.node).toBeUndefined();
    expect(result.node === undefined ? result.message : '').toBe(
      "0/3 nodes are available: 1 node(s) were not ready, 2 node(s) didn't match the image's platform (drover.local/sensor:arm is linux/arm64).",
    );
  });
});

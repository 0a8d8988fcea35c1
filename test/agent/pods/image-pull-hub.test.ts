/**
 * The agent's choice of where an image comes from: pods annotated drover.io/image-source=hub pull from the
 * hub's registry; others from their registry, falling back to the hub when that pull fails; events as the
 * kubelet's (Pulling, Pulled ... from the hub, Failed with both reasons).
 */
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../protocol/objects/pod.js';
import { createImagePull } from '../../../agent/pods/image-pull.js';
import type { ContainerRecord } from '../../../agent/pods/container-records.js';
import { createFakeRuntime } from '../../../runtime-adapters/fake/fake.js';
import { ImagePullError } from '../../../runtime-adapters/errors.js';
import type { HubImageSource } from '../../../runtime-adapters/hub-images.js';
import type { ContainerRuntime } from '../../../runtime-adapters/runtime.js';

const HUB: HubImageSource = { host: 'hub.local:7070', username: 'node:n1', password: 'pw', caFile: '/x/ca.crt', configDir: '/x/image-hub' };

function pod(annotations?: Record<string, string>): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u1', ...(annotations ? { annotations } : {}) },
    spec: { containers: [{ name: 'main', image: 'my-app:1.0' }] },
  } as Pod;
}

function setup(hubWorks: boolean) {
  const fake = createFakeRuntime({ images: [] });
  const fromHub: string[] = [];
  const runtime: ContainerRuntime = Object.assign(Object.create(fake) as ContainerRuntime, {
    async pullImageFromHub(image: string, source: HubImageSource) {
      if (!hubWorks) throw new ImagePullError('fake', image, 'the hub has no such image');
      fromHub.push(`${source.host}/${image}`);
    },
  });
  const events: Array<{ reason: string; message: string }> = [];
  const pull = createImagePull({
    runtime,
    clock: () => 1000,
    hubImages: HUB,
    events: { record: (_ref, _c, _type, reason, message) => void events.push({ reason, message }) },
    wakeAt: () => undefined,
    setWaiting: (rec, waiting) => void (rec.waiting = waiting),
  });
  return { pull, fromHub, events };
}

const record = (): ContainerRecord => ({}) as ContainerRecord;

describe('image pull from the hub', () => {
  it('pulls an annotated pod image from the hub, with Pulling and Pulled events', async () => {
    const { pull, fromHub, events } = setup(true);
    const p = pod({ 'drover.io/image-source': 'hub' });
    expect(await pull.ready(p, p.spec.containers[0]!, record(), 1000)).toBe(true);
    expect(fromHub).toEqual(['hub.local:7070/my-app:1.0']);
    expect(events.map((e) => e.reason)).toEqual(['Pulling', 'Pulled']);
    expect(events[1]!.message).toMatch(/^Successfully pulled image "my-app:1.0" in [0-9.]+s from the hub$/);
  });

  it('falls back to the hub when the registry pull fails', async () => {
    const { pull, fromHub } = setup(true);
    const p = pod();
    expect(await pull.ready(p, p.spec.containers[0]!, record(), 1000)).toBe(true);
    expect(fromHub).toEqual(['hub.local:7070/my-app:1.0']);
  });

  it('fails with both reasons when neither has the image', async () => {
    const { pull, events } = setup(false);
    const p = pod();
    const rec = record();
    expect(await pull.ready(p, p.spec.containers[0]!, rec, 1000)).toBe(false);
    expect(rec.waiting?.reason).toBe('ErrImagePull');
    expect(events.find((e) => e.reason === 'Failed')?.message).toMatch(/^Failed to pull image "my-app:1.0": .*not pullable.*; from the hub: .*the hub has no such image/);
  });
});

/** The fake runtime's test hooks, which the agent's unit tests lean on. */
import { afterEach, describe, expect, it } from 'vitest';
import { ImageNotFoundError, ImagePullError, RuntimeUnavailableError } from '../../../runtime-adapters/errors.js';
import { createFakeRuntime, type FakeRuntime } from '../../../runtime-adapters/fake/fake.js';
import type { ContainerSpec } from '../../../runtime-adapters/runtime.js';

const IMAGE = 'drover.local/busybox:test';
const spec = (name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name,
  image: IMAGE,
  env: {},
  ports: [],
  mounts: [],
  labels: { 'io.drover.pod.uid': 'u1' },
  hostNetwork: false,
  ...extra,
});

describe('fake runtime hooks', () => {
  let fake: FakeRuntime;
  afterEach(async () => {
    await fake.close();
  });

  it('a container runs until a hook makes it exit with a code and reason, on the injected clock', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    fake = createFakeRuntime({ images: [IMAGE], clock: () => now });
    const id = await fake.create(spec('a', { command: ['/app/server'] }));
    await fake.start(id);
    expect((await fake.inspect(id)).state).toBe('running');
    expect((await fake.inspect(id)).startedAt).toBe('2026-01-01T00:00:00.000Z');
    now += 5_000;
    await fake.hooks.exitContainer(id, 137, 'OOMKilled');
    const info = await fake.inspect(id);
    expect(info).toMatchObject({ state: 'exited', exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-01-01T00:00:05.000Z' });
    await fake.start(id); // restart like docker start
    expect((await fake.inspect(id)).exitCode).toBeUndefined();
  });

  it('images can vanish and become pullable', async () => {
    fake = createFakeRuntime({ images: [IMAGE] });
    fake.hooks.removeImage(IMAGE);
    await expect(fake.create(spec('b'))).rejects.toBeInstanceOf(ImageNotFoundError);
    await expect(fake.ensureImage(IMAGE, 'IfNotPresent')).rejects.toBeInstanceOf(ImagePullError);
    fake.hooks.setPullable(IMAGE, true);
    await fake.ensureImage(IMAGE, 'IfNotPresent');
    expect((await fake.listImages()).map((i) => i.name)).toContain(IMAGE);
  });

  it('the daemon can go down and come back, and calls are recorded', async () => {
    fake = createFakeRuntime({ images: [IMAGE] });
    const id = await fake.create(spec('c'));
    fake.hooks.setUnavailable(true);
    await expect(fake.start(id)).rejects.toBeInstanceOf(RuntimeUnavailableError);
    fake.hooks.setUnavailable(false);
    await fake.start(id);
    fake.hooks.appendLog(id, 'one\ntwo\n');
    expect(await fake.logs(id, { tailLines: 1 })).toBe('two\n');
    expect(fake.hooks.calls).toEqual(['create c', `start ${id}`, `start ${id}`, `logs ${id}`]);
  });
});

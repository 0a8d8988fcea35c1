import { afterEach, describe, expect, it } from 'vitest';
import type { Pod } from '../../../protocol/index.js';
import { deletePodGracefully } from '../../../hub/registry/pod-deletion.js';
import { podTemplateHash } from '../../../hub/controllers/pod-template.js';
import { scaledValue } from '../../../hub/controllers/int-or-percent.js';
import { harness, node, START, template, type Harness } from '../controllers/workload-support.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

const pod = (name: string, nodeName?: string, grace?: number): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'x' }], ...(nodeName ? { nodeName } : {}), ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}) },
});
const key = (name: string) => ({ kind: 'Pod', namespace: 'default', name });

describe('deletePodGracefully', () => {
  it('marks a pod bound to an existing node terminating, removes others at once, and skips another uid', async () => {
    h = await harness('wl-del-');
    await h.store.create(node('wl-del-node'));
    await h.store.create(pod('wl-bound', 'wl-del-node', 10));
    await h.store.create(pod('wl-unbound'));
    await h.store.create(pod('wl-lost', 'wl-no-such-node'));
    const bound = await deletePodGracefully(h.store, key('wl-bound'), { clock: h.now });
    expect(bound?.metadata.deletionTimestamp).toBe(new Date(START + 10_000).toISOString().replace('.000', ''));
    expect(bound?.metadata.deletionGracePeriodSeconds).toBe(10);
    expect(await h.store.get(key('wl-bound'))).toBeDefined();
    // Already terminating: left as it is.
    h.advance(5000);
    expect((await deletePodGracefully(h.store, key('wl-bound'), { clock: h.now }))?.metadata.deletionTimestamp).toBe(bound?.metadata.deletionTimestamp);
    await deletePodGracefully(h.store, key('wl-unbound'), { clock: h.now });
    await deletePodGracefully(h.store, key('wl-lost'), { clock: h.now });
    expect(await h.store.get(key('wl-unbound'))).toBeUndefined();
    expect(await h.store.get(key('wl-lost'))).toBeUndefined();
    expect(await deletePodGracefully(h.store, key('wl-bound'), { clock: h.now, uid: 'other' })).toBeUndefined();
    expect(await deletePodGracefully(h.store, key('wl-nothing'), { clock: h.now })).toBeUndefined();
    await deletePodGracefully(h.store, key('wl-bound'), { clock: h.now, gracePeriodSeconds: 0 });
    expect(await h.store.get(key('wl-bound'))).toBeUndefined();
  });
});

describe('podTemplateHash and scaledValue', () => {
  it('hashes equal templates equally whatever their key order, and differently when anything changes', () => {
    const a = template({ app: 'x', tier: 'web' });
    const b = { spec: { containers: [{ image: 'registry.local/nginx:1.26', name: 'web' }] }, metadata: { labels: { tier: 'web', app: 'x' } } };
    expect(podTemplateHash(a)).toBe(podTemplateHash(b));
    expect(podTemplateHash(a)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{8,10}$/);
    expect(podTemplateHash(template({ app: 'x', tier: 'web' }, 'registry.local/nginx:1.27'))).not.toBe(podTemplateHash(a));
    expect(podTemplateHash(a, 1)).not.toBe(podTemplateHash(a));
  });

  it('scales percentages like Kubernetes', () => {
    expect(scaledValue('25%', 3, true, 0)).toBe(1);
    expect(scaledValue('25%', 3, false, 0)).toBe(0);
    expect(scaledValue(undefined, 10, false, '25%')).toBe(2);
    expect(scaledValue(2, 10, true, '25%')).toBe(2);
  });
});

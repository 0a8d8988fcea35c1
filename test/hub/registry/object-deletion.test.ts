import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../protocol/index.js';
import { deleteObjectRespectingFinalizers } from '../../../hub/registry/object-deletion.js';
import { tempStore } from '../controllers/temp-store.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => {
  await dispose?.();
  dispose = undefined;
});

const claim = (name: string, finalizers?: string[]): KubeObject =>
  ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default', ...(finalizers ? { finalizers } : {}) }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }) as KubeObject;

describe('deleteObjectRespectingFinalizers', () => {
  it('marks an object with finalizers (deletionTimestamp), removes one without, and reads a gone one as not deleted', async () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    const t = await tempStore('objdel-', () => now);
    dispose = t.dispose;
    const key = (name: string) => ({ kind: 'PersistentVolumeClaim', namespace: 'default', name });
    const guarded = await t.store.create(claim('guarded', ['kubernetes.io/pvc-protection']));
    const plain = await t.store.create(claim('plain'));
    expect(await deleteObjectRespectingFinalizers(t.store, key('guarded'), guarded, () => now)).toBe(true);
    const marked = await t.store.get(key('guarded'));
    expect(marked?.metadata.deletionTimestamp).toBe('2026-03-01T10:00:00Z');
    expect(marked?.metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    expect(await deleteObjectRespectingFinalizers(t.store, key('plain'), plain, () => now)).toBe(true);
    expect(await t.store.get(key('plain'))).toBeUndefined();
    expect(await deleteObjectRespectingFinalizers(t.store, key('plain'), plain, () => now)).toBe(false);
  });
});

/**
 * Storage through the real kubectl: `apply` of a claim (validated against the hub's OpenAPI), `create`
 * of a hostPath volume (kubectl 1.32 sends protobuf), and `get pvc,pv,storageclasses` with Kubernetes'
 * columns; the hub's default `local-path` class is there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCompatHub, type CompatHub } from './support.js';

const CLAIM = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data }
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 1Gi } }
`;
const VOLUME = `apiVersion: v1
kind: PersistentVolume
metadata: { name: admin-disk }
spec:
  capacity: { storage: 5Gi }
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  hostPath: { path: /srv/disk, type: DirectoryOrCreate }
`;

const header = (out: string): string[] => out.split('\n')[0]!.trim().split(/\s{2,}/);
const rowOf = (out: string, name: string): string[] | undefined =>
  out.split('\n').map((l) => l.trim().split(/\s{2,}/)).find((cells) => cells[0] === name);

describe('kubectl and storage kinds (real kubectl, real hub)', () => {
  let h: CompatHub;
  beforeAll(async () => {
    h = await startCompatHub('storage');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('applies a claim, creates a volume, and prints their columns and the default class', async () => {
    const applied = await h.kubectl(['apply', '-f', '-'], CLAIM);
    expect(applied.code, applied.out).toBe(0);
    const created = await h.kubectl(['create', '-f', '-'], VOLUME);
    expect(created.code, created.out).toBe(0);
    const bad = await h.kubectl(['apply', '-f', '-'], VOLUME.replace('name: admin-disk', 'name: nfs-disk').replace('hostPath: { path: /srv/disk, type: DirectoryOrCreate }', 'nfs: { server: x, path: / }'));
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/nfs/);

    const pvc = await h.kubectl(['get', 'pvc']);
    expect(header(pvc.stdout)).toEqual(['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
    expect(rowOf(pvc.stdout, 'data')?.slice(0, 3)).toEqual(['data', 'Pending', 'local-path']);
    const pv = await h.kubectl(['get', 'pv']);
    expect(header(pv.stdout)).toEqual(['NAME', 'CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE']);
    expect(rowOf(pv.stdout, 'admin-disk')?.slice(0, 4)).toEqual(['admin-disk', '5Gi', 'RWO', 'Retain']);
    const sc = await h.kubectl(['get', 'storageclasses']);
    expect(header(sc.stdout)).toEqual(['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
    expect(rowOf(sc.stdout, 'local-path')?.slice(0, 5)).toEqual(['local-path', 'drover.io/local-path', 'Delete', 'WaitForFirstConsumer', 'false']);
  });
});

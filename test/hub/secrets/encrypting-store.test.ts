import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { createSqliteStore } from '../../../hub/store/sqlite-store.js';
import type { RawWatchEvent, Store, StoredObject, WatchEvent } from '../../../hub/store/store.js';
import { createEncryptingStore, ENCRYPTED_FIELD, SecretDecryptError, SecretsKeyFileError } from '../../../hub/secrets/index.js';

const PLAINTEXT = 'hunter2-very-secret-value';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function secret(name: string, extra: Record<string, unknown> = {}): StoredObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default', labels: { app: 'x' } }, type: 'Opaque', ...extra } as StoredObject;
}

type SecretObject = StoredObject & { data?: Record<string, string>; stringData?: Record<string, string> };

describe('createEncryptingStore', () => {
  let dir: string;
  let inner: Store;
  let store: Store;
  const keyFile = () => join(dir, 'secrets.key');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-secrets-'));
    inner = await createSqliteStore({ path: join(dir, 'state.db'), logger: silentLogger() });
    store = await createEncryptingStore(inner, { keyFile: keyFile(), logger: silentLogger() });
  });
  afterEach(async () => {
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the key file with mode 0600 holding 32 bytes', async () => {
    const info = await stat(keyFile());
    expect(info.mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(keyFile(), 'utf8')).trim(), 'base64')).toHaveLength(32);
  });

  it('round-trips data and merges stringData into data as base64', async () => {
    const created = await store.create<SecretObject>(secret('s1', { data: { a: b64('one') }, stringData: { b: PLAINTEXT, a: 'over' } }));
    expect(created.data).toEqual({ a: b64('over'), b: b64(PLAINTEXT) });
    expect(created.stringData).toBeUndefined();
    expect(created).not.toHaveProperty(ENCRYPTED_FIELD);
    const read = await store.get<SecretObject>({ kind: 'Secret', namespace: 'default', name: 's1' });
    expect(read?.data).toEqual({ a: b64('over'), b: b64(PLAINTEXT) });
    const listed = await store.list<SecretObject>('Secret', { labelSelector: { matchLabels: { app: 'x' } } } as never);
    expect(listed.items.map((s) => s.data?.b)).toEqual([b64(PLAINTEXT)]);
    const raw = await inner.get<SecretObject>({ kind: 'Secret', namespace: 'default', name: 's1' });
    expect(raw?.data).toBeUndefined();
    expect(String((raw as Record<string, unknown>)[ENCRYPTED_FIELD])).toMatch(/^aesgcm:[0-9a-f]{8}:/);
    const deleted = await store.delete<SecretObject>({ kind: 'Secret', namespace: 'default', name: 's1' });
    expect(deleted.data?.b).toBe(b64(PLAINTEXT));
  });

  it('encrypts the annotations too (last-applied-configuration carries the data) and restores them', async () => {
    const lastApplied = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', data: { k: b64(PLAINTEXT) } });
    const annotations = { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied, note: 'n' };
    await store.create({ ...secret('s1', { data: { k: b64(PLAINTEXT) } }), metadata: { name: 's1', namespace: 'default', labels: { app: 'x' }, annotations } } as StoredObject);
    const read = await store.get<SecretObject>({ kind: 'Secret', namespace: 'default', name: 's1' });
    expect(read?.metadata.annotations).toEqual(annotations);
    expect(read?.metadata.labels).toEqual({ app: 'x' });
    const raw = await inner.get({ kind: 'Secret', namespace: 'default', name: 's1' });
    expect(raw?.metadata.annotations).toBeUndefined();
    expect(raw?.metadata.labels).toEqual({ app: 'x' });
    const again = await store.update({ ...read!, metadata: { ...read!.metadata } });
    expect(again.metadata.resourceVersion).toBe(read!.metadata.resourceVersion);
  });

  it('leaves other kinds untouched', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { k: 'v' } } as StoredObject;
    await store.create(cm);
    expect((await inner.get<SecretObject>({ kind: 'ConfigMap', namespace: 'default', name: 'c' }))?.data).toEqual({ k: 'v' });
  });

  it('uses a fresh IV per write: equal data gives different ciphertexts', async () => {
    await store.create(secret('s1', { stringData: { k: PLAINTEXT } }));
    await store.create(secret('s2', { stringData: { k: PLAINTEXT } }));
    const raw1 = (await inner.get({ kind: 'Secret', namespace: 'default', name: 's1' })) as Record<string, unknown>;
    const raw2 = (await inner.get({ kind: 'Secret', namespace: 'default', name: 's2' })) as Record<string, unknown>;
    expect(raw1[ENCRYPTED_FIELD]).not.toBe(raw2[ENCRYPTED_FIELD]);
    const updated = await store.update(secret('s1', { stringData: { k: 'changed' } }));
    const raw3 = (await inner.get({ kind: 'Secret', namespace: 'default', name: 's1' })) as Record<string, unknown>;
    expect(raw3[ENCRYPTED_FIELD]).not.toBe(raw1[ENCRYPTED_FIELD]);
    expect((updated as SecretObject).data).toEqual({ k: b64('changed') });
  });

  it('keeps a no-op update a no-op (same resourceVersion, same ciphertext)', async () => {
    const created = await store.create(secret('s1', { data: { k: b64(PLAINTEXT) } }));
    const again = await store.update(secret('s1', { stringData: { k: PLAINTEXT } }));
    expect(again.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it('decrypts watch events, including history replay and DELETED', async () => {
    const from = await store.revision();
    const events: WatchEvent[] = [];
    const w = store.watch({ kind: 'Secret', fromRevision: from }, (e) => events.push(e));
    await store.create(secret('s1', { stringData: { k: PLAINTEXT } }));
    await store.delete({ kind: 'Secret', namespace: 'default', name: 's1' });
    await expect.poll(() => events.length).toBe(2);
    expect(events.map((e) => [e.type, (e.object as SecretObject).data?.k])).toEqual([
      ['ADDED', b64(PLAINTEXT)],
      ['DELETED', b64(PLAINTEXT)],
    ]);
    expect(events[0]!.object).not.toHaveProperty(ENCRYPTED_FIELD);
    w.close();
  });

  it('decrypts Secrets in raw (JSON) watch events and passes other kinds through as recorded', async () => {
    const raw: RawWatchEvent[] = [];
    const innerRaw: RawWatchEvent[] = [];
    const w = store.watchJson({}, (e) => raw.push(e));
    const wi = inner.watchJson({}, (e) => innerRaw.push(e));
    await store.create(secret('s1', { stringData: { k: PLAINTEXT } }));
    await store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: 'b' } } as StoredObject);
    await expect.poll(() => raw.length).toBe(2);
    const opened = JSON.parse(raw[0]!.json) as SecretObject;
    expect(opened.data?.k).toBe(b64(PLAINTEXT));
    expect(opened).not.toHaveProperty(ENCRYPTED_FIELD);
    expect(innerRaw[0]!.json).not.toContain(b64(PLAINTEXT));
    expect(raw[1]!.json).toBe(innerRaw[1]!.json);
    w.close();
    wi.close();
  });

  it('never writes the plaintext or its base64 to the SQLite file or its WAL', async () => {
    await store.create(secret('s1', { stringData: { password: PLAINTEXT } }));
    await store.update(secret('s1', { data: { password: b64(PLAINTEXT), other: b64(`${PLAINTEXT}-2`) } }));
    const files = (await readdir(dir)).filter((f) => f.startsWith('state.db'));
    expect(files).toContain('state.db-wal');
    for (const f of files) {
      const bytes = await readFile(join(dir, f));
      expect(bytes.includes(PLAINTEXT), f).toBe(false);
      expect(bytes.includes(b64(PLAINTEXT)), f).toBe(false);
    }
    const all = Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
    expect(all.includes('drover.io/encrypted')).toBe(true);
  });

  it('fails clearly with another key, naming the Secret and both key ids', async () => {
    await store.create(secret('s1', { stringData: { k: PLAINTEXT } }));
    await store.close();
    await writeFile(keyFile(), `${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
    inner = await createSqliteStore({ path: join(dir, 'state.db'), logger: silentLogger() });
    store = await createEncryptingStore(inner, { keyFile: keyFile(), logger: silentLogger() });
    const err = await store.get({ kind: 'Secret', namespace: 'default', name: 's1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretDecryptError);
    expect((err as Error).message).toMatch(/cannot decrypt Secret default\/s1: it was encrypted with key [0-9a-f]{8} but the key file holds key [0-9a-f]{8}/);
    expect((err as Error).message).not.toContain(PLAINTEXT);
    await expect(store.list('Secret')).rejects.toBeInstanceOf(SecretDecryptError);
  });

  it('refuses a key file that does not hold a 32-byte key', async () => {
    await writeFile(join(dir, 'bad.key'), 'not-a-key\n');
    await expect(createEncryptingStore(inner, { keyFile: join(dir, 'bad.key'), logger: silentLogger() })).rejects.toBeInstanceOf(SecretsKeyFileError);
  });

  it('rejects a ciphertext moved onto another Secret', async () => {
    await store.create(secret('s1', { stringData: { k: PLAINTEXT } }));
    await store.create(secret('s2', { stringData: { k: 'other' } }));
    const raw1 = (await inner.get({ kind: 'Secret', namespace: 'default', name: 's1' })) as Record<string, unknown>;
    const raw2 = (await inner.get({ kind: 'Secret', namespace: 'default', name: 's2' })) as StoredObject;
    await inner.update({ ...raw2, [ENCRYPTED_FIELD]: raw1[ENCRYPTED_FIELD] } as StoredObject);
    await expect(store.get({ kind: 'Secret', namespace: 'default', name: 's2' })).rejects.toThrow(/authentication failed/);
  });

  it('encrypts Secrets stored in plaintext before encryption was turned on', async () => {
    await inner.create(secret('legacy', { data: { k: b64(PLAINTEXT) } }));
    const again = await createEncryptingStore(inner, { keyFile: keyFile(), logger: silentLogger() });
    const raw = (await inner.get({ kind: 'Secret', namespace: 'default', name: 'legacy' })) as SecretObject;
    expect(raw.data).toBeUndefined();
    expect(raw).toHaveProperty(ENCRYPTED_FIELD);
    expect((await again.get<SecretObject>({ kind: 'Secret', namespace: 'default', name: 'legacy' }))?.data).toEqual({ k: b64(PLAINTEXT) });
  });
});

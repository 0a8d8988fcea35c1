/**
 * createEncryptingStore: a Store over another Store (the SQLite one) that keeps Secret payloads
 * encrypted at rest, like a Kubernetes EncryptionConfiguration with the aesgcm provider.
 *
 * - Written Secrets: `stringData` is merged into `data` (base64), then `data` and the annotations
 *   (`kubectl.kubernetes.io/last-applied-configuration` holds the applied data too) are replaced by one
 *   ciphertext in the `drover.io/encrypted` field; name, namespace, labels and the rest of metadata stay
 *   readable so the store can list and select. Nothing else of the object changes.
 * - Read Secrets (get, list, create/update/delete results, watch events raw or parsed): decrypted back to `data`.
 *   Other kinds pass through untouched.
 * - An update whose data equals what is stored keeps the stored ciphertext, so a no-op update is still
 *   a no-op (no new revision, no watch event), as the inner store promises.
 * - On start, Secrets stored in plaintext (from before encryption was on) are rewritten encrypted.
 *   Their earlier plaintext revisions stay in the store's history until it is trimmed.
 * - A Secret that does not decrypt (another key, damaged data) is a SecretDecryptError on get/list;
 *   a watch event for it is logged and not delivered.
 */
import type { Logger } from '../../protocol/logger.js';
import type {
  ListOptions,
  ListResult,
  ObjectKey,
  RawWatchEvent,
  Store,
  StoredObject,
  Watch,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from '../store/store.js';
import { decrypt, encrypt } from './cipher.js';
import { SecretDecryptError } from './errors.js';
import { loadOrCreateKey, type SecretsKey } from './key-file.js';
import { canonicalData, mergeStringData, type SecretLike } from './secret-data.js';

/** The field of a stored Secret that holds its encrypted data. */
export const ENCRYPTED_FIELD = 'drover.io/encrypted';

export interface EncryptingStoreOptions {
  /** `<hub data dir>/secrets.key`: created (0600) with a random key if missing. */
  keyFile: string;
  logger: Logger;
}

/** What the ciphertext holds: the data and the annotations (canonical JSON, so equal content compares equal). */
interface SealedPayload {
  data: Record<string, string>;
  annotations?: Record<string, string>;
}

function sealedPayload(data: Record<string, string> | undefined, annotations: Record<string, string> | undefined): string {
  const ann = annotations && Object.keys(annotations).length > 0 ? `,"annotations":${canonicalData(annotations)}` : '';
  return `{"data":${canonicalData(data)}${ann}}`;
}

type StoredSecret = StoredObject & { [ENCRYPTED_FIELD]?: string; data?: Record<string, string>; stringData?: Record<string, string> };

const isSecret = (o: { kind?: string }): boolean => o.kind === 'Secret';
const secretName = (o: StoredObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
/** Additional authenticated data: binds a ciphertext to the Secret it belongs to. */
const aadOf = (o: StoredObject): string => `Secret/${secretName(o)}`;

export async function createEncryptingStore(inner: Store, opts: EncryptingStoreOptions): Promise<Store> {
  const logger = opts.logger.child({ part: 'secrets-encryption' });
  const key: SecretsKey = await loadOrCreateKey(opts.keyFile, logger);

  function seal(object: StoredObject, reuse?: StoredSecret): StoredObject {
    if (!isSecret(object)) return object;
    const { data, ...rest } = mergeStringData(object as SecretLike);
    delete (rest as StoredSecret)[ENCRYPTED_FIELD];
    const { annotations, ...metadata } = rest.metadata;
    rest.metadata = metadata;
    const plaintext = sealedPayload(data, annotations);
    let envelope: string | undefined;
    if (reuse?.[ENCRYPTED_FIELD] !== undefined && aadOf(reuse) === aadOf(object)) {
      try {
        if (decrypt(key, reuse[ENCRYPTED_FIELD], aadOf(reuse)).toString('utf8') === plaintext) envelope = reuse[ENCRYPTED_FIELD];
      } catch (err) {
        // the stored one is unreadable: the new write replaces it with one this key can read
        logger.warn({ err, secret: secretName(object) }, 'the stored Secret does not decrypt; overwriting it');
      }
    }
    envelope ??= encrypt(key, Buffer.from(plaintext, 'utf8'), aadOf(object));
    return { ...rest, [ENCRYPTED_FIELD]: envelope } as StoredObject;
  }

  function open<T extends StoredObject>(object: T): T {
    if (!isSecret(object)) return object;
    const { [ENCRYPTED_FIELD]: envelope, ...rest } = object as StoredSecret;
    if (envelope === undefined) return mergeStringData(object as SecretLike) as unknown as T; // stored before encryption was on
    let payload: SealedPayload;
    try {
      payload = JSON.parse(decrypt(key, envelope, aadOf(object)).toString('utf8')) as SealedPayload;
    } catch (err) {
      throw new SecretDecryptError(secretName(object), (err as Error).message, { cause: err });
    }
    const { data: _ignored, ...withoutData } = rest;
    const opened = { ...withoutData } as StoredSecret;
    if (payload.annotations) opened.metadata = { ...opened.metadata, annotations: payload.annotations };
    if (Object.keys(payload.data).length > 0) opened.data = payload.data;
    return opened as unknown as T;
  }

  async function encryptLegacySecrets(): Promise<void> {
    const { items } = await inner.list<StoredSecret>('Secret');
    const plain = items.filter((s) => s[ENCRYPTED_FIELD] === undefined);
    for (const secret of plain) await inner.update(seal(secret), { expectedResourceVersion: secret.metadata.resourceVersion! });
    if (plain.length > 0) logger.info({ secrets: plain.length }, 'encrypted Secrets that were stored in plaintext');
  }

  await encryptLegacySecrets();

  return {
    async get<T extends StoredObject = StoredObject>(k: ObjectKey): Promise<T | undefined> {
      const object = await inner.get<T>(k);
      return object && open(object);
    },
    async list<T extends StoredObject = StoredObject>(kind: string, options?: ListOptions): Promise<ListResult<T>> {
      const result = await inner.list<T>(kind, options);
      return { ...result, items: result.items.map(open) };
    },
    async create<T extends StoredObject>(object: T): Promise<T> {
      return open(await inner.create(seal(object) as T));
    },
    async update<T extends StoredObject>(object: T, options?: WriteOptions): Promise<T> {
      const current = isSecret(object)
        ? await inner.get<StoredSecret>({ kind: 'Secret', namespace: object.metadata.namespace ?? '', name: object.metadata.name ?? '' })
        : undefined;
      return open(await inner.update(seal(object, current) as T, options));
    },
    async delete<T extends StoredObject = StoredObject>(k: ObjectKey, options?: WriteOptions): Promise<T> {
      return open(await inner.delete<T>(k, options));
    },
    watch(options: WatchOptions, handler: (event: WatchEvent) => void): Watch {
      return inner.watch(options, (event) => {
        let object: StoredObject;
        try {
          object = open(event.object);
        } catch (err) {
          logger.error({ err, type: event.type, revision: event.revision }, 'a Secret in a watch event does not decrypt; event not delivered');
          return;
        }
        handler(object === event.object ? event : { ...event, object });
      });
    },
    watchJson(options: WatchOptions, handler: (event: RawWatchEvent) => void): Watch {
      return inner.watchJson(options, (event) => {
        if (event.kind !== 'Secret') {
          handler(event);
          return;
        }
        let json: string;
        try {
          json = JSON.stringify(open(JSON.parse(event.json) as StoredObject));
        } catch (err) {
          logger.error({ err, type: event.type, revision: event.revision }, 'a Secret in a watch event does not decrypt; event not delivered');
          return;
        }
        handler({ ...event, json });
      });
    },
    revision: () => inner.revision(),
    compactedRevision: async () => (await inner.compactedRevision?.()) ?? 0,
    bumpRevision: (to) => inner.bumpRevision(to),
    close: () => inner.close(),
  };
}

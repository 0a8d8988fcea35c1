export { createEncryptingStore, ENCRYPTED_FIELD, type EncryptingStoreOptions } from './encrypting-store.js';
export { loadOrCreateKey, keyId, KEY_BYTES, type SecretsKey } from './key-file.js';
export { mergeStringData } from './secret-data.js';
export * from './errors.js';

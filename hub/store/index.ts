export type * from './store.js';
export * from './errors.js';
export { createSqliteStore, DEFAULT_HISTORY_LIMIT, type SqliteStoreOptions } from './sqlite-store.js';
export { SUPPORTED_FIELD_SELECTORS } from './field-selector.js';

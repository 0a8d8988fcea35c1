export { createFleet, DEFAULT_STATUS_STALE_AFTER_MS } from './fleet.js';
export type { Fleet, FleetOptions } from './fleet.js';
export type { FleetAuth } from './context.js';
export { AGENT_OWNED_LABELS } from './node-status-handler.js';
export * from './errors.js';

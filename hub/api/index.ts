export { createApiServer, type ApiServer, type ApiServerOptions } from './server.js';
export type { ApiAuth, ApiPrincipal, ApiRole } from './auth.js';
export { ApiError, API_ERROR_CODES, type StatusObject, type StatusReason } from './status.js';
export { buildFleetSummary, type FleetSummary } from './status-summary.js';
export { DEFAULT_FLOW_CONTROL, type FlowControlOptions } from './flow-control.js';

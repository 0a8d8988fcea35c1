export { createFleet } from './fleet.js';
export type { Fleet, FleetOptions } from './fleet.js';
export type { FleetAuth } from './context.js';
export * from './errors.js';
export { createNodeCommands, DEFAULT_REPLY_TIMEOUT_MS } from './node-commands.js';
export type { NodeCommands, NodeCommandsService, NodeCommandsOptions, LogsRequest, ExecRequest, ExecResult } from './node-commands.js';
export { createNodeStreams, DEFAULT_STREAM_READY_TIMEOUT_MS } from './node-streams.js';
export type { NodeStream, NodeStreams, NodeStreamsService, NodeStreamsOptions, StreamOpenRequest, StreamHandlers } from './node-streams.js';

import { DroverError } from '../../protocol/errors.js';

/** Every code the fleet layer's errors carry, with what it means (listed in README.md too). */
export const FLEET_ERROR_CODES = {
  EFLEET_JOIN_REFUSED: 'a join request the hub refused (the reason goes back to the device)',
  EFLEET_NODE_NOT_CONNECTED: 'a command for a node that has no live MQTT connection to the hub',
  EFLEET_COMMAND_TIMEOUT: 'the node did not answer a command (logs, exec) in time',
  EFLEET_COMMAND_FAILED: "the agent answered a command with ok: false (the message is the agent's reason)",
  EFLEET_COMMANDS_STOPPED: 'node commands were stopped: the hub is shutting down',
  EFLEET_STREAM_FAILED: "a stream to an agent (exec, attach, logs -f, port-forward) did not open or ended with an error (the agent's reason, frames lost, no answer in time)",
} as const;

/** A join request the hub answers with ok: false; the message is sent to the device. */
export class JoinRefusedError extends DroverError {
  constructor(reason: string) {
    super('EFLEET_JOIN_REFUSED', reason);
  }
}

/** A command for a node that has no live MQTT connection to the hub. */
export class NodeNotConnectedError extends DroverError {
  constructor(readonly node: string) {
    super('EFLEET_NODE_NOT_CONNECTED', `node "${node}" is not connected to the hub: its agent is offline or unreachable`);
  }
}

/** The node did not answer a command in time. */
export class CommandTimeoutError extends DroverError {
  constructor(readonly node: string, readonly command: string, readonly timeoutMs: number) {
    super('EFLEET_COMMAND_TIMEOUT', `node "${node}" did not answer the ${command} command within ${Math.round(timeoutMs / 100) / 10}s`);
  }
}

/** The agent answered ok: false; `message` is the agent's reason. */
export class CommandFailedError extends DroverError {
  constructor(readonly node: string, readonly command: string, reason: string) {
    super('EFLEET_COMMAND_FAILED', reason);
  }
}

/** Node commands were stopped (the hub is shutting down) while a command was waiting or before it was sent. */
export class NodeCommandsStoppedError extends DroverError {
  constructor() {
    super('EFLEET_COMMANDS_STOPPED', 'the hub is shutting down: node commands are stopped');
  }
}

/** A stream to an agent did not open, or broke: the agent's reason, lost frames, no answer in time. */
export class StreamFailedError extends DroverError {
  constructor(readonly node: string, reason: string) {
    super('EFLEET_STREAM_FAILED', reason);
  }
}

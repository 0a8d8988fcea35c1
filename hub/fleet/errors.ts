import { DroverError } from '../../protocol/errors.js';
import type { ObjectKey } from '../store/store.js';

export const FLEET_ERROR_CODES = {
  updateConflict: 'EFLEETCONFLICT',
  joinRefused: 'EJOINREFUSED',
  nodeNotConnected: 'ENODENOTCONNECTED',
  commandTimeout: 'ECMDTIMEOUT',
  commandFailed: 'ECMDFAILED',
  commandsStopped: 'ECMDSTOPPED',
} as const;

/** A compare-and-swap update kept losing to concurrent writers. */
export class UpdateRetriesExhaustedError extends DroverError {
  constructor(readonly key: ObjectKey, attempts: number, options?: { cause?: unknown }) {
    super(
      FLEET_ERROR_CODES.updateConflict,
      `${key.kind} ${key.namespace ? `${key.namespace}/` : ''}${key.name}: still conflicting after ${attempts} attempts`,
      options,
    );
  }
}

/** A join request the hub answers with ok: false; the message is sent to the device. */
export class JoinRefusedError extends DroverError {
  constructor(reason: string) {
    super(FLEET_ERROR_CODES.joinRefused, reason);
  }
}

/** A command for a node that has no live MQTT connection to the hub. */
export class NodeNotConnectedError extends DroverError {
  constructor(readonly node: string) {
    super(FLEET_ERROR_CODES.nodeNotConnected, `node "${node}" is not connected to the hub: its agent is offline or unreachable`);
  }
}

/** The node did not answer a command in time. */
export class CommandTimeoutError extends DroverError {
  constructor(readonly node: string, readonly command: string, readonly timeoutMs: number) {
    super(FLEET_ERROR_CODES.commandTimeout, `node "${node}" did not answer the ${command} command within ${Math.round(timeoutMs / 100) / 10}s`);
  }
}

/** The agent answered ok: false; `message` is the agent's reason. */
export class CommandFailedError extends DroverError {
  constructor(readonly node: string, readonly command: string, reason: string) {
    super(FLEET_ERROR_CODES.commandFailed, reason);
  }
}

/** Node commands were stopped (the hub is shutting down) while a command was waiting or before it was sent. */
export class NodeCommandsStoppedError extends DroverError {
  constructor() {
    super(FLEET_ERROR_CODES.commandsStopped, 'the hub is shutting down: node commands are stopped');
  }
}

import { DroverError } from '../protocol/errors.js';

/**
 * The agent's error catalogue: every error the agent raises on purpose is an AgentError with one of these
 * codes (`EAGENT_<WHAT>`), each with a line saying what it means. test/agent/errors.test.ts checks that
 * every code is used, documented in agent/README.md and follows the style.
 */
export const AGENT_ERROR_CODES = {
  EAGENT_JOIN_REJECTED: 'the hub refused the join token at connect: expired, unknown or already used',
  EAGENT_JOIN_REFUSED: 'the hub answered the join request with a refusal, in its own words',
  EAGENT_JOIN_TIMEOUT: 'the hub did not answer the join request in time',
  EAGENT_HUB_UNREACHABLE: 'the hub cannot be reached (refused, timed out, closed, or not TLS where TLS was asked)',
  EAGENT_NO_CREDENTIALS: 'the node has not joined (no credentials.json) and no join token was given',
  EAGENT_CREDENTIALS_CORRUPT: 'credentials.json or ca.crt cannot be read or is not valid',
  EAGENT_DESIRED_STATE_CORRUPT: 'the stored desired.json cannot be read or is not a desired set',
  EAGENT_CONTAINER_RECORDS_CORRUPT: 'the stored containers.json cannot be read or is not valid',
  EAGENT_CONTAINER_CONFIG: 'a container cannot be configured from its pod spec (its waiting reason CreateContainerConfigError)',
  EAGENT_POD_NOT_FOUND: 'a logs/exec command names a pod that is not on this node',
  EAGENT_CONTAINER_NOT_RUNNING: 'a logs/exec command names a container that is unknown, not created yet or not running',
  EAGENT_INVALID_OPTION: 'an option of the agent is missing or not acceptable',
  EAGENT_PUBLISH_TIMEOUT: 'an MQTT publish (or disconnect) was not acknowledged in time',
  EAGENT_NOT_CONNECTED: 'a publish was asked for before the connection to the hub was started',
  EAGENT_HUB_CA_MISMATCH: "no CA in the hub's TLS chain matches the join token's hash: another hub, or a man in the middle; nothing was sent",
  EAGENT_INSECURE_HUB: 'a connection the agent will not make: credentials would travel unencrypted or unverified',
  EAGENT_NETWORK_SET_CORRUPT: 'the stored network.json cannot be read or is not a network set',
  EAGENT_POD_NETWORK: "a pod's sandbox (network namespace, CNI attachment, sandbox container) cannot be made (the pod waits in ContainerCreating)",
  EAGENT_NETWORK_COMMAND: 'a command that programs the node network (ip, bridge, nft, docker network) failed',
  EAGENT_SERVICE_PROXY: 'nft refused the service rules or could not be run; the rules applied before stay in force',
  EAGENT_DNS_LISTEN: 'the cluster DNS server cannot listen on its address and port (the address is not up yet, or the port is taken)',
  EAGENT_VOLUME_IN_USE: "a deleteVolume command names a local volume a claim of the node's pods still mounts",
} as const;

export type AgentErrorCode = keyof typeof AGENT_ERROR_CODES;

/** An error the agent raises on purpose: its code is from AGENT_ERROR_CODES. */
export class AgentError extends DroverError {
  declare readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The join token was refused by the broker at CONNACK (expired, unknown or already used). */
export class JoinRejectedError extends AgentError {
  constructor(options?: { cause?: unknown }) {
    super('EAGENT_JOIN_REJECTED', 'join token rejected by the hub (expired or unknown)', options);
  }
}

/** The hub answered the join request with ok:false; `reason` is the hub's own words. */
export class JoinRefusedError extends AgentError {
  readonly reason: string;
  constructor(reason: string) {
    super('EAGENT_JOIN_REFUSED', `the hub refused to let this node join: ${reason}`);
    this.reason = reason;
  }
}

export class JoinTimeoutError extends AgentError {
  constructor(hubUrl: string, timeoutMs: number) {
    super(
      'EAGENT_JOIN_TIMEOUT',
      `no answer to the join request from the hub at ${hubUrl} within ${Math.round(timeoutMs / 1000)} s (is the hub running and up to date?)`,
    );
  }
}

export class HubUnreachableError extends AgentError {
  /** `hint`: what the user most likely got wrong, appended to the message. */
  constructor(hubUrl: string, options?: { cause?: unknown; hint?: string }) {
    const detail = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    const hint = options?.hint ? ` (${options.hint})` : '';
    super('EAGENT_HUB_UNREACHABLE', `cannot reach the hub at ${hubUrl}${detail}${hint}`, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** No credentials in the data dir and no join token to get some. */
export class NoCredentialsError extends AgentError {
  constructor(path: string) {
    super(
      'EAGENT_NO_CREDENTIALS',
      `this node has not joined yet (no ${path}): pass --token with a join token from \`drover token create\``,
    );
  }
}

export class CredentialsCorruptError extends AgentError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(
      'EAGENT_CREDENTIALS_CORRUPT',
      `the credentials file ${path} is unreadable (${reason}); delete it and join again with --token`,
      options,
    );
    this.path = path;
  }
}

export class DesiredStateCorruptError extends AgentError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('EAGENT_DESIRED_STATE_CORRUPT', `the stored desired state ${path} is unreadable: ${reason}`, options);
    this.path = path;
  }
}

export class ContainerRecordsCorruptError extends AgentError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('EAGENT_CONTAINER_RECORDS_CORRUPT', `the stored container records ${path} are unreadable: ${reason}`, options);
    this.path = path;
  }
}

/**
 * A container cannot be configured from its pod spec (a field the agent does not support yet, a
 * missing hostPath, ...). Reported as the container's waiting reason CreateContainerConfigError.
 */
export class ContainerConfigError extends AgentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EAGENT_CONTAINER_CONFIG', message, options);
  }
}

export class PodNotFoundError extends AgentError {
  constructor(namespace: string, name: string) {
    super('EAGENT_POD_NOT_FOUND', `pod ${namespace}/${name} is not on this node`);
  }
}

export class ContainerNotRunningError extends AgentError {
  constructor(message: string) {
    super('EAGENT_CONTAINER_NOT_RUNNING', message);
  }
}

/** The hub asked to delete a local volume that a pod of the desired set still mounts. */
export class VolumeInUseError extends AgentError {
  constructor(readonly volume: string, claims: readonly string[]) {
    super('EAGENT_VOLUME_IN_USE', `volume ${volume} is still mounted by the node's pods (claim ${claims.join(', ')}): not deleted`);
  }
}

export class InvalidOptionError extends AgentError {
  constructor(message: string) {
    super('EAGENT_INVALID_OPTION', message);
  }
}

/** An MQTT publish (or disconnect) was not acknowledged in time. */
export class PublishTimeoutError extends AgentError {
  constructor(what: string, ms: number) {
    super('EAGENT_PUBLISH_TIMEOUT', `${what}: no acknowledgement from the hub within ${ms} ms`);
  }
}

export class NotConnectedError extends AgentError {
  constructor(what: string) {
    super('EAGENT_NOT_CONNECTED', `${what}: the connection to the hub has not been started`);
  }
}

/**
 * The hub's TLS chain holds no certificate whose SHA-256 matches the hash in the join token: the
 * agent is talking to another hub (or a man in the middle) and has sent it nothing.
 */
export class HubCaMismatchError extends AgentError {
  readonly expected: string;
  readonly presented: string[];
  constructor(hubUrl: string, expected: string, presented: string[]) {
    super(
      'EAGENT_HUB_CA_MISMATCH',
      `the hub at ${hubUrl} is not the one the join token was made for: its certificate authority does not match ` +
        `the token's hash K10${expected.slice(0, 16)}... (presented: ${presented.map((h) => `${h.slice(0, 16)}...`).join(', ') || 'no certificate'}); ` +
        'nothing was sent. Check the --hub address, or get a token from this hub with `drover token create`',
    );
    this.expected = expected;
    this.presented = presented;
  }
}

/** A connection the agent will not make: credentials or tokens would travel unprotected or unverified. */
export class InsecureHubError extends AgentError {
  constructor(message: string) {
    super('EAGENT_INSECURE_HUB', message);
  }
}

export class NetworkSetCorruptError extends AgentError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('EAGENT_NETWORK_SET_CORRUPT', `the stored network set ${path} is unreadable: ${reason}`, options);
    this.path = path;
  }
}

/** A pod's sandbox cannot be made: the pod's containers wait (ContainerCreating) and it is tried again. */
export class PodNetworkError extends AgentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EAGENT_POD_NETWORK', message, options);
  }
}

/** A command programming the node's network failed; `command` is its argv, `stderr` its own words. */
export class NetworkCommandError extends AgentError {
  readonly command: string[];
  constructor(command: string[], stderr: string, exitCode: number | undefined, options?: { cause?: unknown }) {
    super('EAGENT_NETWORK_COMMAND', `\`${command.join(' ')}\` failed (exit ${exitCode ?? 'none'}): ${stderr.trim() || 'no output'}`, options);
    this.command = command;
  }
}

/** nft refused the service proxy's rules (or could not run); the kernel keeps the rules applied before. */
export class ServiceProxyError extends AgentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EAGENT_SERVICE_PROXY', message, options);
  }
}

/** The cluster DNS server could not bind its UDP or TCP socket. */
export class DnsListenError extends AgentError {
  constructor(address: string, port: number, options?: { cause?: unknown }) {
    const detail = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('EAGENT_DNS_LISTEN', `the cluster DNS server cannot listen on ${address}:${port}${detail}`, options);
  }
}

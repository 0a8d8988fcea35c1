import { DroverError } from '../protocol/errors.js';

/**
 * The agent's error catalogue. Every error the agent raises on purpose is one of these, with a stable
 * `code` (unique across the catalogue: see test/agent/errors.test.ts).
 */
export const AGENT_ERROR_CODES = {
  joinRejected: 'EAGENT_JOIN_REJECTED',
  joinRefused: 'EAGENT_JOIN_REFUSED',
  joinTimeout: 'EAGENT_JOIN_TIMEOUT',
  hubUnreachable: 'EAGENT_HUB_UNREACHABLE',
  noCredentials: 'EAGENT_NO_CREDENTIALS',
  credentialsCorrupt: 'EAGENT_CREDENTIALS_CORRUPT',
  desiredStateCorrupt: 'EAGENT_DESIRED_STATE_CORRUPT',
  containerRecordsCorrupt: 'EAGENT_CONTAINER_RECORDS_CORRUPT',
  containerConfig: 'EAGENT_CONTAINER_CONFIG',
  podNotFound: 'EAGENT_POD_NOT_FOUND',
  containerNotRunning: 'EAGENT_CONTAINER_NOT_RUNNING',
  invalidOption: 'EAGENT_INVALID_OPTION',
  publishTimeout: 'EAGENT_PUBLISH_TIMEOUT',
  notConnected: 'EAGENT_NOT_CONNECTED',
  hubCaMismatch: 'EAGENT_HUB_CA_MISMATCH',
  insecureHub: 'EAGENT_INSECURE_HUB',
} as const;

/** The join token was refused by the broker at CONNACK (expired, unknown or already used). */
export class JoinRejectedError extends DroverError {
  constructor(options?: { cause?: unknown }) {
    super(AGENT_ERROR_CODES.joinRejected, 'join token rejected by the hub (expired or unknown)', options);
  }
}

/** The hub answered the join request with ok:false; `reason` is the hub's own words. */
export class JoinRefusedError extends DroverError {
  readonly reason: string;
  constructor(reason: string) {
    super(AGENT_ERROR_CODES.joinRefused, `the hub refused to let this node join: ${reason}`);
    this.reason = reason;
  }
}

export class JoinTimeoutError extends DroverError {
  constructor(hubUrl: string, timeoutMs: number) {
    super(
      AGENT_ERROR_CODES.joinTimeout,
      `no answer to the join request from the hub at ${hubUrl} within ${Math.round(timeoutMs / 1000)} s (is the hub running and up to date?)`,
    );
  }
}

export class HubUnreachableError extends DroverError {
  /** `hint`: what the user most likely got wrong, appended to the message. */
  constructor(hubUrl: string, options?: { cause?: unknown; hint?: string }) {
    const detail = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    const hint = options?.hint ? ` (${options.hint})` : '';
    super(AGENT_ERROR_CODES.hubUnreachable, `cannot reach the hub at ${hubUrl}${detail}${hint}`, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** No credentials in the data dir and no join token to get some. */
export class NoCredentialsError extends DroverError {
  constructor(path: string) {
    super(
      AGENT_ERROR_CODES.noCredentials,
      `this node has not joined yet (no ${path}): pass --token with a join token from \`drover token create\``,
    );
  }
}

export class CredentialsCorruptError extends DroverError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(
      AGENT_ERROR_CODES.credentialsCorrupt,
      `the credentials file ${path} is unreadable (${reason}); delete it and join again with --token`,
      options,
    );
    this.path = path;
  }
}

export class DesiredStateCorruptError extends DroverError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(AGENT_ERROR_CODES.desiredStateCorrupt, `the stored desired state ${path} is unreadable: ${reason}`, options);
    this.path = path;
  }
}

export class ContainerRecordsCorruptError extends DroverError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(AGENT_ERROR_CODES.containerRecordsCorrupt, `the stored container records ${path} are unreadable: ${reason}`, options);
    this.path = path;
  }
}

/**
 * A container cannot be configured from its pod spec (a field the agent does not support yet, a
 * missing hostPath, ...). Reported as the container's waiting reason CreateContainerConfigError.
 */
export class ContainerConfigError extends DroverError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(AGENT_ERROR_CODES.containerConfig, message, options);
  }
}

export class PodNotFoundError extends DroverError {
  constructor(namespace: string, name: string) {
    super(AGENT_ERROR_CODES.podNotFound, `pod ${namespace}/${name} is not on this node`);
  }
}

export class ContainerNotRunningError extends DroverError {
  constructor(message: string) {
    super(AGENT_ERROR_CODES.containerNotRunning, message);
  }
}

export class InvalidOptionError extends DroverError {
  constructor(message: string) {
    super(AGENT_ERROR_CODES.invalidOption, message);
  }
}

/** An MQTT publish (or disconnect) was not acknowledged in time. */
export class PublishTimeoutError extends DroverError {
  constructor(what: string, ms: number) {
    super(AGENT_ERROR_CODES.publishTimeout, `${what}: no acknowledgement from the hub within ${ms} ms`);
  }
}

export class NotConnectedError extends DroverError {
  constructor(what: string) {
    super(AGENT_ERROR_CODES.notConnected, `${what}: the connection to the hub has not been started`);
  }
}

/**
 * The hub's TLS chain holds no certificate whose SHA-256 matches the hash in the join token: the
 * agent is talking to another hub (or a man in the middle) and has sent it nothing.
 */
export class HubCaMismatchError extends DroverError {
  readonly expected: string;
  readonly presented: string[];
  constructor(hubUrl: string, expected: string, presented: string[]) {
    super(
      AGENT_ERROR_CODES.hubCaMismatch,
      `the hub at ${hubUrl} is not the one the join token was made for: its certificate authority does not match ` +
        `the token's hash K10${expected.slice(0, 16)}... (presented: ${presented.map((h) => `${h.slice(0, 16)}...`).join(', ') || 'no certificate'}); ` +
        'nothing was sent. Check the --hub address, or get a token from this hub with `drover token create`',
    );
    this.expected = expected;
    this.presented = presented;
  }
}

/** A connection the agent will not make: credentials or tokens would travel unprotected or unverified. */
export class InsecureHubError extends DroverError {
  constructor(message: string) {
    super(AGENT_ERROR_CODES.insecureHub, message);
  }
}

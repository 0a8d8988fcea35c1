/**
 * Typed errors shared by every part of Drover. Each area keeps its own catalogue of codes in its own
 * errors.ts; this base class is the one thing they share.
 */
/** Every code protocol/'s errors carry, with what it means (listed in README.md too). */
export const PROTOCOL_ERROR_CODES = {
  EPROTOCOL_VALIDATION: 'a manifest or object failed validation (the error names the document and field)',
  EPROTOCOL_MANIFEST: 'one or more documents of a manifest failed (each problem listed)',
  EPROTOCOL_MESSAGE: 'an MQTT payload that does not match its schema (logged and dropped)',
  EPROTOCOL_SELECTOR: 'a label selector that does not parse',
  EPROTOCOL_ADDRESS: 'a string that is not the IPv4 address or CIDR block it should be',
} as const;

/** An area's catalogue of error codes: code (E<AREA>_<WHAT>) -> what it means. */
export type ErrorCatalogue = Readonly<Record<string, string>>;

export class DroverError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A manifest or object failed validation. `field` is the path inside the document. */
export class ValidationError extends DroverError {
  readonly field: string;
  readonly document: string;
  constructor(document: string, field: string, reason: string, options?: { cause?: unknown }) {
    super('EPROTOCOL_VALIDATION', `${document}: ${field ? `${field}: ` : ''}${reason}`, options);
    this.field = field;
    this.document = document;
  }
}

/** One or more documents of a manifest failed; each problem is listed in `problems`. */
export class ManifestError extends DroverError {
  readonly problems: ValidationError[];
  constructor(problems: ValidationError[]) {
    super('EPROTOCOL_MANIFEST', problems.map((p) => p.message).join('\n'));
    this.problems = problems;
  }
}

/** An MQTT payload that does not match its schema. */
export class MessageError extends DroverError {
  readonly topic: string;
  constructor(topic: string, reason: string, options?: { cause?: unknown }) {
    super('EPROTOCOL_MESSAGE', `bad message on ${topic}: ${reason}`, options);
    this.topic = topic;
  }
}

/**
 * Typed errors shared by every part of Drover. Each area keeps its own catalogue of codes in its own
 * errors.ts; this base class is the one thing they share.
 */
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
    super('EVALIDATION', `${document}: ${field ? `${field}: ` : ''}${reason}`, options);
    this.field = field;
    this.document = document;
  }
}

/** One or more documents of a manifest failed; each problem is listed in `problems`. */
export class ManifestError extends DroverError {
  readonly problems: ValidationError[];
  constructor(problems: ValidationError[]) {
    super('EMANIFEST', problems.map((p) => p.message).join('\n'));
    this.problems = problems;
  }
}

/** An MQTT payload that does not match its schema. */
export class MessageError extends DroverError {
  readonly topic: string;
  constructor(topic: string, reason: string, options?: { cause?: unknown }) {
    super('EMESSAGE', `bad message on ${topic}: ${reason}`, options);
    this.topic = topic;
  }
}

export const PROTOCOL_ERROR_CODES = ['EVALIDATION', 'EMANIFEST', 'EMESSAGE'] as const;

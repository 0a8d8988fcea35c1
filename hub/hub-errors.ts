import { DroverError } from '../protocol/errors.js';

/** createHub was asked for something it will not do (e.g. plain MQTT beyond loopback). */
export class InvalidHubOptionError extends DroverError {
  constructor(message: string) {
    super('EHUB_INVALID_OPTION', message);
  }
}

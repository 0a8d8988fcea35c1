import { DroverError } from '../protocol/errors.js';

/** Every code hub.ts's errors carry, with what it means (listed in README.md too). */
export const HUB_ERROR_CODES = {
  EHUB_INVALID_OPTION: 'createHub was asked for something it will not do (e.g. plain MQTT or HTTP beyond loopback)',
} as const;

/** createHub was asked for something it will not do (e.g. plain MQTT or HTTP beyond loopback). */
export class InvalidHubOptionError extends DroverError {
  constructor(message: string) {
    super('EHUB_INVALID_OPTION', message);
  }
}

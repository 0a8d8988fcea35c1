/**
 * Where the agent pulls images pushed to the hub (`drover image push`): the hub's HTTPS listener, whose
 * /v2/ registry reads the node's own MQTT credential; verified against the hub CA pinned at join.
 */
import { join } from 'node:path';
import type { HubImageSource } from '../runtime-adapters/hub-images.js';
import { CA_FILE, type Credentials } from './link/join.js';

/** The hub's HTTPS port when --image-hub does not say (the hub's default listener). */
export const DEFAULT_HUB_HTTPS_PORT = 7070;

export function hubImageSource(opts: { imageHub?: string | false | undefined; dataDir: string }, credentials: Credentials): HubImageSource | undefined {
  if (opts.imageHub === false) return undefined;
  let host = opts.imageHub;
  if (host === undefined) {
    let hub: URL;
    try {
      hub = new URL(credentials.hubUrl);
    } catch {
      return undefined;
    }
    if (hub.protocol !== 'mqtts:') return undefined; // a plain-MQTT (loopback test) hub: no CA to verify its HTTPS with
    host = `${hub.hostname.includes(':') ? `[${hub.hostname}]` : hub.hostname}:${DEFAULT_HUB_HTTPS_PORT}`;
  }
  return {
    host,
    username: credentials.username,
    password: credentials.password,
    caFile: join(opts.dataDir, CA_FILE),
    configDir: join(opts.dataDir, 'image-hub'),
  };
}

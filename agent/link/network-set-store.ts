/**
 * The node's network set (pod CIDR, overlay peers, Services), as last received from the hub on the
 * node's `network` topic, kept on disk so the node keeps its pod network with no hub in reach: on start
 * the stored set is applied before the hub is reached. As desired-state-store.ts does for desired.json:
 * a set is validated, then written durably to network.json before it is acted on; one for another node or
 * with a lower generation than the current one is ignored; a corrupt file is moved aside
 * (network.json.corrupt) and the agent carries on without it.
 */
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { moveAside, writeFileDurable } from '../../protocol/durable-file.js';
import { MessageError } from '../../protocol/errors.js';
import type { Logger } from '../../protocol/logger.js';
import { decodeMessage, networkSetMessageSchema, type NetworkSetMessage } from '../../protocol/messages.js';
import { NetworkSetCorruptError } from '../errors.js';
import { readStateFile } from '../state-file.js';

export const NETWORK_FILE = 'network.json';

export interface NetworkSetStore {
  readonly path: string;
  /** What is on disk (undefined if nothing). Throws NetworkSetCorruptError for an unreadable file. */
  load(): Promise<NetworkSetMessage | undefined>;
  /** load(), but a corrupt file is logged, moved aside and treated as absent. */
  loadOrDiscard(): Promise<NetworkSetMessage | undefined>;
  /** One payload from the network topic: the set if accepted, stored and different from the current one. */
  receive(topic: string, payload: Buffer | string): Promise<NetworkSetMessage | undefined>;
  current(): NetworkSetMessage | undefined;
}

export function createNetworkSetStore(opts: { dataDir: string; nodeName: string; logger: Logger }): NetworkSetStore {
  const path = join(opts.dataDir, NETWORK_FILE);
  const log = opts.logger.child({ component: 'network-set-store' });
  let current: NetworkSetMessage | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<NetworkSetMessage | undefined> {
    const text = await readStateFile(path, (reason, cause) => new NetworkSetCorruptError(path, reason, { cause }));
    if (text === undefined) return undefined;
    let set: NetworkSetMessage;
    try {
      set = decodeMessage(networkSetMessageSchema, path, text);
    } catch (err) {
      const reason = err instanceof MessageError ? err.message.replace(`bad message on ${path}: `, '') : String(err);
      throw new NetworkSetCorruptError(path, reason, { cause: err });
    }
    if (set.node !== opts.nodeName) {
      log.warn({ path, storedFor: set.node }, 'stored network set is for another node: ignoring it');
      return undefined;
    }
    current = set;
    return set;
  }

  async function accept(topic: string, payload: Buffer | string): Promise<NetworkSetMessage | undefined> {
    let set: NetworkSetMessage;
    try {
      set = decodeMessage(networkSetMessageSchema, topic, payload);
    } catch (err) {
      log.warn({ err, topic }, 'dropping a malformed network set');
      return undefined;
    }
    if (set.node !== opts.nodeName) {
      log.warn({ topic, for: set.node }, 'dropping a network set meant for another node');
      return undefined;
    }
    if (current && set.generation < current.generation) {
      log.info({ generation: set.generation, current: current.generation }, 'ignoring an older network set');
      return undefined;
    }
    if (current && set.generation === current.generation && sameContent(set, current)) return undefined;
    await writeFileDurable(path, JSON.stringify(set), { mode: 0o600 });
    current = set;
    log.info({ generation: set.generation, podCIDR: set.podCIDR, peers: set.peers.length, services: set.services.length }, 'stored a new network set');
    return set;
  }

  return {
    path,
    load,
    async loadOrDiscard() {
      try {
        return await load();
      } catch (err) {
        if (!(err instanceof NetworkSetCorruptError)) throw err;
        log.error({ err, movedTo: `${path}.corrupt` }, 'stored network set is corrupt: moving it aside and waiting for the hub to send a new one');
        await moveAside(path);
        return undefined;
      }
    },
    receive(topic, payload) {
      const result = queue.then(() => accept(topic, payload));
      queue = result.catch(() => undefined);
      return result;
    },
    current: () => current,
  };
}

/** Everything but the envelope's send time. */
function sameContent(a: NetworkSetMessage, b: NetworkSetMessage): boolean {
  const { sentAt: _a, ...restA } = a;
  const { sentAt: _b, ...restB } = b;
  return isDeepStrictEqual(restA, restB);
}

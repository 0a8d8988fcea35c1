/**
 * The node's network set (pod CIDR, overlay peers, Services), put together from what the hub sends and
 * kept on disk so the node keeps its pod network with no hub in reach: on start the stored set is
 * applied before the hub is reached. The hub sends it in two parts (protocol/README.md):
 *
 * - the node's own part on nodes/NODE/network (nodeNetwork: pod CIDR, the cluster's CIDRs, domain, MTU
 *   and which Services it programs); a whole networkSet there (hubs before the shared topics, tests)
 *   stands alone, as it always did;
 * - the shared peers and Services on cluster/network (deltas) and cluster/network/snapshot, followed by
 *   cluster-network-sync.ts (a gap in the deltas resyncs from the snapshot; `onResync` subscribes to it).
 *
 * As desired-state-store.ts does for desired.json: what arrives is validated, then the whole (own part,
 * every peer, every Service, the shared generation) is written durably to network.json before it is
 * acted on; a part for another node or older than the current one is ignored; a corrupt file is moved
 * aside (network.json.corrupt) and the agent carries on without it. After a restart the shared data
 * on disk is followed on from its generation: the deltas missed meanwhile are a gap, hence a resync.
 */
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { moveAside, writeFileDurable } from '../../protocol/durable-file.js';
import { MessageError } from '../../protocol/errors.js';
import type { Logger } from '../../protocol/logger.js';
import {
  clusterNetworkDeltaMessageSchema,
  clusterNetworkSnapshotMessageSchema,
  decodeMessage,
  networkServiceScopeSchema,
  networkSetMessageSchema,
  nodeNetworkMessageSchema,
  type NetworkPeer,
  type NetworkService,
  type NetworkServiceScope,
  type NetworkSetMessage,
  type NodeNetworkMessage,
} from '../../protocol/messages.js';
import { parseTopic, topics } from '../../protocol/topics.js';
import { NetworkSetCorruptError } from '../errors.js';
import { readStateFile } from '../state-file.js';
import { createClusterNetworkSync } from './cluster-network-sync.js';

export const NETWORK_FILE = 'network.json';

/**
 * network.json: the whole set as the agent runs it, with, when it came in two parts, `shared` (the
 * shared data's generation and the node's Service scope); `peers` and `services` then hold all of the
 * cluster's (the node's own peer and the Services out of its scope are left out when it is used).
 */
const storedNetworkSchema = networkSetMessageSchema.extend({
  shared: z.strictObject({ generation: z.number().int().min(0).optional(), services: networkServiceScopeSchema }).optional(),
});
type StoredNetwork = z.infer<typeof storedNetworkSchema>;

export interface NetworkSetStore {
  readonly path: string;
  /** What is on disk (undefined if nothing). Throws NetworkSetCorruptError for an unreadable file. */
  load(): Promise<NetworkSetMessage | undefined>;
  /** load(), but a corrupt file is logged, moved aside and treated as absent. */
  loadOrDiscard(): Promise<NetworkSetMessage | undefined>;
  /**
   * One payload from nodes/NODE/network, cluster/network or cluster/network/snapshot: the set the node
   * should run if it changed (stored first), else undefined.
   */
  receive(topic: string, payload: Buffer | string): Promise<NetworkSetMessage | undefined>;
  current(): NetworkSetMessage | undefined;
  /** Called when a resync starts (subscribe to cluster/network/snapshot) and ends (unsubscribe). */
  onResync(handler: (on: boolean) => void): void;
}

const serviceKey = (s: { namespace: string; name: string }): string => `${s.namespace}/${s.name}`;

export function createNetworkSetStore(opts: { dataDir: string; nodeName: string; logger: Logger }): NetworkSetStore {
  const path = join(opts.dataDir, NETWORK_FILE);
  const log = opts.logger.child({ component: 'network-set-store' });
  /** The node's own part: a whole set (standing alone) or a nodeNetwork part. */
  let own: { kind: 'whole'; set: NetworkSetMessage } | { kind: 'part'; part: NodeNetworkMessage } | undefined;
  const peers = new Map<string, NetworkPeer>();
  const services = new Map<string, NetworkService>();
  let current: NetworkSetMessage | undefined;
  let resyncHandler: (on: boolean) => void = () => undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let sync = newSync(undefined);

  function newSync(generation: number | undefined) {
    return createClusterNetworkSync({
      generation,
      handlers: {
        applySnapshot(s) {
          peers.clear();
          services.clear();
          for (const p of s.peers) peers.set(p.node, p);
          for (const svc of s.services) services.set(serviceKey(svc), svc);
        },
        applyDelta(d) {
          for (const p of d.removedPeers) peers.delete(p);
          for (const p of d.peers) peers.set(p.node, p);
          for (const r of d.removedServices) services.delete(serviceKey(r));
          for (const svc of d.services) services.set(serviceKey(svc), svc);
        },
        resyncing(on) {
          log.info({ generation: sync.generation() }, on ? 'resyncing the shared network data from its snapshot' : 'shared network data in sync');
          resyncHandler(on);
        },
      },
    });
  }

  /** The set the node runs, from its own part and the shared data. */
  function assemble(): NetworkSetMessage | undefined {
    if (!own) return undefined;
    if (own.kind === 'whole') return own.set;
    const { part } = own;
    const { type: _t, services: scope, ...rest } = part;
    return {
      ...rest,
      type: 'networkSet',
      generation: Math.max(part.generation, sync.generation() ?? 0),
      peers: [...peers.values()].filter((p) => p.node !== opts.nodeName).sort((a, b) => (a.node < b.node ? -1 : 1)),
      services: inScope([...services.values()], scope),
    };
  }

  /** What goes to network.json. */
  function stored(): StoredNetwork | undefined {
    if (!own) return undefined;
    if (own.kind === 'whole') return own.set;
    const set = assemble()!;
    const generation = sync.generation();
    return {
      ...set,
      peers: [...peers.values()],
      services: [...services.values()],
      shared: { ...(generation === undefined ? {} : { generation }), services: own.part.services },
    };
  }

  function restore(file: StoredNetwork): NetworkSetMessage {
    peers.clear();
    services.clear();
    for (const p of file.peers) peers.set(p.node, p);
    for (const s of file.services) services.set(serviceKey(s), s);
    const { shared, peers: _p, services: _s, ...rest } = file;
    if (shared) {
      own = { kind: 'part', part: { ...rest, type: 'nodeNetwork', services: shared.services } };
      sync = newSync(shared.generation);
    } else {
      // a whole set from a hub before the shared topics: its peers and Services seed the shared data
      // (of no known generation: the first delta resyncs)
      own = { kind: 'whole', set: { ...rest, type: 'networkSet', peers: file.peers, services: file.services } };
      sync = newSync(undefined);
    }
    current = assemble();
    return current!;
  }

  async function load(): Promise<NetworkSetMessage | undefined> {
    const text = await readStateFile(path, (reason, cause) => new NetworkSetCorruptError(path, reason, { cause }));
    if (text === undefined) return undefined;
    let file: StoredNetwork;
    try {
      file = decodeMessage(storedNetworkSchema, path, text, Number.MAX_SAFE_INTEGER);
    } catch (err) {
      const reason = err instanceof MessageError ? err.message.replace(`bad message on ${path}: `, '') : String(err);
      throw new NetworkSetCorruptError(path, reason, { cause: err });
    }
    if (file.node !== opts.nodeName) {
      log.warn({ path, storedFor: file.node }, 'stored network set is for another node: ignoring it');
      return undefined;
    }
    return restore(file);
  }

  function decodeOwn(topic: string, payload: Buffer | string): NetworkSetMessage | NodeNetworkMessage | undefined {
    const text = typeof payload === 'string' ? payload : payload.toString('utf8');
    const whole = /"type"\s*:\s*"networkSet"/.test(text);
    try {
      return whole ? decodeMessage(networkSetMessageSchema, topic, payload) : decodeMessage(nodeNetworkMessageSchema, topic, payload);
    } catch (err) {
      log.warn({ err, topic }, 'dropping a malformed network set');
      return undefined;
    }
  }

  /** Take the node's own part; false when it is dropped or older. */
  function takeOwn(topic: string, payload: Buffer | string): boolean {
    const message = decodeOwn(topic, payload);
    if (!message) return false;
    if (message.node !== opts.nodeName) {
      log.warn({ topic, for: message.node }, 'dropping a network set meant for another node');
      return false;
    }
    const held = own ? (own.kind === 'whole' ? own.set.generation : own.part.generation) : undefined;
    if (held !== undefined && message.generation < held) {
      log.info({ generation: message.generation, current: held }, 'ignoring an older network set');
      return false;
    }
    own = message.type === 'networkSet' ? { kind: 'whole', set: message } : { kind: 'part', part: message };
    return true;
  }

  /** Take shared data; false when nothing of it changed what the node holds. */
  function takeShared(topic: string, payload: Buffer | string, snapshot: boolean): boolean {
    try {
      if (snapshot) return sync.onSnapshot(decodeMessage(clusterNetworkSnapshotMessageSchema, topic, payload)) !== 'ignored';
      const delta = decodeMessage(clusterNetworkDeltaMessageSchema, topic, payload);
      const before = sync.generation();
      return sync.onDelta(delta) === 'applied' && sync.generation() !== before;
    } catch (err) {
      log.warn({ err, topic }, 'dropping malformed shared network data');
      return false;
    }
  }

  async function accept(topic: string, payload: Buffer | string): Promise<NetworkSetMessage | undefined> {
    const parsed = parseTopic(topic);
    const changed =
      parsed?.kind === 'cluster'
        ? takeShared(topic, payload, topic === topics.clusterNetworkSnapshot())
        : takeOwn(topic, payload);
    if (!changed) return undefined;
    const file = stored();
    if (!file) return undefined; // shared data before the node's own part: kept until it comes
    await writeFileDurable(path, JSON.stringify(file), { mode: 0o600 });
    const next = assemble()!;
    const before = current;
    current = next;
    if (before && sameContent(before, next)) return undefined;
    log.info({ generation: next.generation, podCIDR: next.podCIDR, peers: next.peers.length, services: next.services.length }, 'stored a new network set');
    return next;
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
    onResync(handler) {
      resyncHandler = handler;
      if (sync.isResyncing()) handler(true);
    },
  };
}

function inScope(services: NetworkService[], scope: NetworkServiceScope): NetworkService[] {
  return (scope === 'all' ? services : services.filter((s) => s.type !== 'ClusterIP')).sort((a, b) => (serviceKey(a) < serviceKey(b) ? -1 : 1));
}

/** Everything but the envelope's send time (and the generation, which moves with every shared change). */
function sameContent(a: NetworkSetMessage, b: NetworkSetMessage): boolean {
  const { sentAt: _a, generation: _ga, ...restA } = a;
  const { sentAt: _b, generation: _gb, ...restB } = b;
  return isDeepStrictEqual(restA, restB);
}

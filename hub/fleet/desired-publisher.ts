/**
 * Publishes each node's full desired set on drover/v1/nodes/NODE/desired, retained, QoS 1.
 *
 * - On start: a set for every Node (retained messages live in aedes' memory and die with the hub).
 * - Then it follows Pods and Nodes in the informer cache; a change to what a node should run (a Pod bound to it, changed in
 *   spec or metadata, being deleted, deleted; the Node created or deleted) marks that node dirty.
 *   Status-only writes are ignored. Dirty nodes are flushed after `coalesceMs`, so a burst of changes
 *   gives one message per node.
 * - generation = the cache's revision when the set was read: monotonic, across hub restarts too.
 * - `config`: the ConfigMaps/Secrets the node's pods reference, nothing more (desired-config.ts). A
 *   change to one of them (or its deletion) marks dirty the nodes whose pods reference it.
 * - `volumes`: the claims the node's pods mount, with their volumes' paths (desired-volumes.ts); a claim or
 *   volume change marks dirty the nodes whose pods mount the claim.
 * - A set identical to the last one published for the node is not published again.
 * - A failed publish is logged and retried after `retryMs`.
 * - A flush publishes `concurrency` (64) sets at once, not one after another.
 */
import { createHash } from 'node:crypto';
import { encodeMessage, MAX_PAYLOAD_BYTES, type DesiredSetMessage } from '../../protocol/messages.js';
import type { EventRecorder } from '../events/recorder.js';
import { splitDesiredSet } from './desired-split.js';
import { createNodeFlushQueue } from './node-flush-queue.js';
import type { Logger } from '../../protocol/logger.js';
import type { ConfigMap, Secret } from '../../protocol/objects/config.js';
import type { Node } from '../../protocol/objects/node.js';
import type { Pod } from '../../protocol/objects/pod.js';
import { isValidNodeName, topics } from '../../protocol/topics.js';
import type { Broker } from '../broker/broker.js';
import type { CacheEvent, ObjectCache } from '../cache/object-cache.js';
import { configRefKey, configRefsOf, podConfigRefs, toConfigData } from './desired-config.js';
import { buildDesiredSet, podFingerprint, podsForNode } from './desired-set.js';
import { claimVolumesFor, type ClaimVolumeSource } from './desired-volumes.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../protocol/objects/storage.js';
import { podClaimNames } from '../placement/volumes.js';

export interface DesiredPublisherOptions {
  /** The shared informer cache (started by the caller): pods by node, nodes, config. */
  cache: ObjectCache;
  broker: Broker;
  logger: Logger;
  clock: () => number;
  coalesceMs?: number;
  retryMs?: number;
  /** Publishes in flight at once during a flush (default 64). */
  concurrency?: number;
  /** The largest message an agent takes (default MAX_PAYLOAD_BYTES): a larger set is split (desired-split.ts). */
  maxMessageBytes?: number;
  /** Where what cannot be delivered is recorded (Warning Events on the Pod or the Node). */
  events?: EventRecorder;
}

export const UNDELIVERABLE_POD_REASON = 'TooLargeToDeliver';
export const UNDELIVERABLE_SET_REASON = 'DesiredSetTooLarge';

export interface DesiredPublisher {
  /** Publish for every Node, then follow changes. Resolves after the first round is published. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Publish for all dirty nodes now (tests, shutdown). */
  flush(): Promise<void>;
  /** Publish every node's set again, even unchanged ones, with a new generation (after a revision bump). */
  republishAll(): Promise<void>;
}

export function createDesiredPublisher(opts: DesiredPublisherOptions): DesiredPublisher {
  const { cache, broker, clock } = opts;
  const podCache = cache.kind<Pod>('Pod');
  const nodeCache = cache.kind<Node>('Node');
  const logger = opts.logger.child({ part: 'desired-publisher' });
  /**
   * node -> a digest of the last set published (its pods and config, to skip identical sets). A digest, not
   * the set: the set's pods share their spec with the cache's Pod only until the next status write replaces
   * it, after which a kept set would be a second copy of every bound pod (hub/fleet/README.md, Memory).
   */
  const published = new Map<string, string>();
  const digestOf = (content: unknown): string => createHash('sha1').update(JSON.stringify(content)).digest('base64');
  /** node -> how many messages its last set took (part topics beyond it hold nothing). */
  const partsUsed = new Map<string, number>();
  const maxMessageBytes = opts.maxMessageBytes ?? MAX_PAYLOAD_BYTES;
  const subscriptions: Array<() => void> = [];

  function markDirty(node: string | undefined): void {
    if (!node) return;
    if (!isValidNodeName(node)) {
      logger.warn({ node }, 'pod bound to an invalid node name: no desired set published');
      return;
    }
    queue.mark(node);
  }

  function onPodEvent(event: CacheEvent<Pod>): void {
    const pod = event.object;
    const node = pod.spec?.nodeName ?? '';
    const before = event.old;
    if (event.type === 'DELETED') {
      markDirty(node);
      return;
    }
    // status-only writes (most of them: every agent report) change no desired set
    if (before && (before.spec?.nodeName ?? '') === node && podFingerprint(before) === podFingerprint(pod)) return;
    markDirty(node);
    if (before && before.spec?.nodeName && before.spec.nodeName !== node) markDirty(before.spec.nodeName);
  }

  function onNodeEvent(event: CacheEvent<Node>): void {
    if (event.type !== 'MODIFIED') markDirty(event.object.metadata.name);
  }

  /** A ConfigMap or Secret changed: the nodes whose pods use it get a new set. */
  function onConfigEvent(event: CacheEvent): void {
    const { kind, metadata } = event.object;
    const namespace = metadata.namespace ?? '';
    const key = configRefKey({ kind: kind as 'ConfigMap' | 'Secret', namespace, name: metadata.name });
    for (const pod of podCache.list({ namespace })) {
      if (pod.spec.nodeName && podConfigRefs(pod).some((ref) => configRefKey(ref) === key)) markDirty(pod.spec.nodeName);
    }
  }

  const claimSource: ClaimVolumeSource = {
    claim: (namespace, name) => (cache.holds('PersistentVolumeClaim') ? cache.kind<PersistentVolumeClaim>('PersistentVolumeClaim').get(namespace, name) : undefined),
    volume: (name) => (cache.holds('PersistentVolume') ? cache.kind<PersistentVolume>('PersistentVolume').get('', name) : undefined),
  };

  /** A claim (or the volume naming it) changed: the nodes whose pods mount the claim get a new set. */
  function onClaimChange(namespace: string, claim: string): void {
    for (const pod of podCache.list({ namespace })) {
      if (pod.spec.nodeName && podClaimNames(pod).includes(claim)) markDirty(pod.spec.nodeName);
    }
  }

  /** The referenced ConfigMaps/Secrets that exist; a missing one is the agent's to report. */
  function configFor(bound: Pod[]): DesiredSetMessage['config'] {
    return configRefsOf(bound)
      .map((ref) => cache.kind<ConfigMap | Secret>(ref.kind).get(ref.namespace, ref.name))
      .filter((o): o is ConfigMap | Secret => o !== undefined)
      .map(toConfigData);
  }

  async function publishFor(node: string): Promise<void> {
    const nodeObject = nodeCache.get('', node);
    const bound = podCache.onNode(node);
    const running = podsForNode(node, bound);
    const config = nodeObject ? configFor(running) : [];
    const volumes = nodeObject ? claimVolumesFor(running, claimSource) : [];
    const set = buildDesiredSet(node, bound, cache.revision(), nodeObject !== undefined, clock, config, volumes);
    const content = digestOf({ pods: set.pods, config: set.config, volumes: set.volumes });
    if (published.get(node) === content) return;
    const split = splitDesiredSet(set, maxMessageBytes);
    for (const { pod, bytes } of split.undeliverable) {
      const message = `the pod with the ConfigMaps/Secrets it uses is ${bytes} bytes, over the ${maxMessageBytes} bytes one message to node ${node} may carry: it is not sent to the node`;
      logger.error({ node, pod: `${pod.metadata.namespace}/${pod.metadata.name}`, bytes, limit: maxMessageBytes }, 'a pod cannot be delivered to its node: too large');
      await opts.events?.record({ apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' }, 'Warning', UNDELIVERABLE_POD_REASON, message, { component: 'drover-hub' });
    }
    if (split.tooManyParts !== undefined) {
      const message = `the node's desired set needs ${split.tooManyParts} messages of ${maxMessageBytes} bytes, more than the ${topics.maxDesiredParts} one set may take: it is not sent, the node keeps its last set`;
      logger.error({ node, parts: split.tooManyParts }, 'a desired set cannot be delivered: too large even in parts');
      await opts.events?.record({ apiVersion: 'v1', kind: 'Node', name: node }, 'Warning', UNDELIVERABLE_SET_REASON, message, { component: 'drover-hub' });
      published.set(node, content);
      return;
    }
    // parts 1.. first: the agent subscribes to their topics when part 0 names them, and gets them retained
    const ordered = split.messages.length > 1 ? [...split.messages.slice(1), split.messages[0]!] : split.messages;
    for (const m of ordered) await broker.publish(topics.nodeDesiredPart(node, m.part ?? 0), encodeMessage(m), { retain: true, qos: 1 });
    // part topics the previous set used and this one does not: cleared (an empty retained message)
    for (let k = Math.max(1, split.messages.length); k < (partsUsed.get(node) ?? 1); k++) {
      await broker.publish(topics.nodeDesiredPart(node, k), Buffer.alloc(0), { retain: true, qos: 1 });
    }
    partsUsed.set(node, split.messages.length);
    if (split.messages.length > 1) logger.info({ node, generation: set.generation, parts: split.messages.length, pods: set.pods.length }, 'desired set split into parts (too large for one message)');
    published.set(node, content);
    // names only: config values never reach the logs
    logger.debug({ node, generation: set.generation, pods: set.pods.length, config: set.config.map((c) => `${c.kind}/${c.namespace}/${c.name}`) }, 'desired set published');
  }

  const queue = createNodeFlushQueue({
    logger,
    what: 'the desired set',
    coalesceMs: opts.coalesceMs ?? 50,
    retryMs: opts.retryMs,
    concurrency: opts.concurrency,
    allNodes: () => nodeCache.list().map((n) => n.metadata.name),
    publish: publishFor,
  });

  return {
    async start() {
      subscriptions.push(
        podCache.subscribe(onPodEvent),
        nodeCache.subscribe(onNodeEvent),
        cache.kind('ConfigMap').subscribe(onConfigEvent),
        cache.kind('Secret').subscribe(onConfigEvent),
      );
      if (cache.holds('PersistentVolumeClaim')) {
        subscriptions.push(cache.kind<PersistentVolumeClaim>('PersistentVolumeClaim').subscribe((e) => onClaimChange(e.object.metadata.namespace ?? 'default', e.object.metadata.name)));
      }
      if (cache.holds('PersistentVolume')) {
        subscriptions.push(
          cache.kind<PersistentVolume>('PersistentVolume').subscribe((e) => {
            const ref = e.object.spec.claimRef ?? e.old?.spec.claimRef;
            if (ref?.name) onClaimChange(ref.namespace ?? 'default', ref.name);
          }),
        );
      }
      const nodes = nodeCache.list();
      queue.markAll();
      await queue.flush();
      logger.info({ nodes: nodes.length }, 'desired sets published for every node');
    },
    async stop() {
      for (const unsubscribe of subscriptions.splice(0)) unsubscribe();
      await queue.stop();
    },
    flush: () => queue.flush(),
    async republishAll() {
      published.clear();
      queue.markAll();
      await queue.flush();
    },
  };
}

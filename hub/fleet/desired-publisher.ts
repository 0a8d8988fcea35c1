/**
 * Publishes each node's full desired set on drover/v1/nodes/NODE/desired, retained, QoS 1.
 *
 * - On start: a set for every Node (retained messages live in aedes' memory and die with the hub).
 * - Then it watches Pods and Nodes; a change to what a node should run (a Pod bound to it, changed in
 *   spec or metadata, being deleted, deleted; the Node created or deleted) marks that node dirty.
 *   Status-only writes are ignored. Dirty nodes are flushed after `coalesceMs`, so a burst of changes
 *   gives one message per node.
 * - generation = the store revision the set's Pods were listed at: monotonic, across hub restarts too.
 * - `config`: the ConfigMaps/Secrets the node's pods reference, nothing more (desired-config.ts). A
 *   change to one of them (or its deletion) marks dirty the nodes whose pods reference it.
 * - A set identical to the last one published for the node is not published again.
 * - A failed publish is logged and retried after `retryMs`.
 */
import { isDeepStrictEqual } from 'node:util';
import { encodeMessage, type DesiredSetMessage } from '../../protocol/messages.js';
import type { Logger } from '../../protocol/logger.js';
import type { ConfigMap, Secret } from '../../protocol/objects/config.js';
import type { Node } from '../../protocol/objects/node.js';
import type { Pod } from '../../protocol/objects/pod.js';
import { isValidNodeName, topics } from '../../protocol/topics.js';
import type { Broker } from '../broker/broker.js';
import type { Store, Watch, WatchEvent } from '../store/store.js';
import { configRefKey, configRefsOf, podConfigRefs, toConfigData } from './desired-config.js';
import { buildDesiredSet, podFingerprint, podsForNode } from './desired-set.js';

export interface DesiredPublisherOptions {
  store: Store;
  broker: Broker;
  logger: Logger;
  clock: () => number;
  coalesceMs?: number;
  retryMs?: number;
}

export interface DesiredPublisher {
  /** Publish for every Node, then follow changes. Resolves after the first round is published. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Publish for all dirty nodes now (tests, shutdown). */
  flush(): Promise<void>;
}

export function createDesiredPublisher(opts: DesiredPublisherOptions): DesiredPublisher {
  const { store, broker, clock } = opts;
  const logger = opts.logger.child({ part: 'desired-publisher' });
  const coalesceMs = opts.coalesceMs ?? 50;
  const retryMs = opts.retryMs ?? 1000;
  /** uid -> fingerprint of the Pod as last seen, and the ConfigMaps/Secrets it references. */
  const pods = new Map<string, { node: string; fingerprint: string; refs: string[] }>();
  /** node -> the pods of the last set published (to skip identical sets). */
  const published = new Map<string, unknown>();
  const dirty = new Set<string>();
  const watches: Watch[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let stopped = false;

  function markDirty(node: string | undefined): void {
    if (!node) return;
    if (!isValidNodeName(node)) {
      logger.warn({ node }, 'pod bound to an invalid node name: no desired set published');
      return;
    }
    dirty.add(node);
    schedule(coalesceMs);
  }

  function schedule(delayMs: number): void {
    if (stopped || timer || flushing) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, delayMs);
  }

  function onPodEvent(event: WatchEvent): void {
    const pod = event.object as unknown as Pod;
    const uid = pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
    const before = pods.get(uid);
    const node = pod.spec?.nodeName ?? '';
    if (event.type === 'DELETED') {
      pods.delete(uid);
      markDirty(before?.node || node);
      return;
    }
    const fingerprint = podFingerprint(pod);
    if (before && before.fingerprint === fingerprint) return;
    pods.set(uid, { node, fingerprint, refs: podConfigRefs(pod).map(configRefKey) });
    markDirty(node);
    if (before && before.node !== node) markDirty(before.node);
  }

  function onNodeEvent(event: WatchEvent): void {
    if (event.type !== 'MODIFIED') markDirty(event.object.metadata.name);
  }

  /** A ConfigMap or Secret changed: the nodes whose pods use it get a new set. */
  function onConfigEvent(event: WatchEvent): void {
    const { kind, metadata } = event.object;
    const key = configRefKey({ kind: kind as 'ConfigMap' | 'Secret', namespace: metadata.namespace ?? '', name: metadata.name });
    for (const entry of pods.values()) if (entry.refs.includes(key)) markDirty(entry.node);
  }

  /** The referenced ConfigMaps/Secrets that exist; a missing one is the agent's to report. */
  async function configFor(bound: Pod[]): Promise<DesiredSetMessage['config']> {
    const objects = await Promise.all(
      configRefsOf(bound).map((ref) => store.get<ConfigMap | Secret>({ kind: ref.kind, namespace: ref.namespace, name: ref.name })),
    );
    return objects.filter((o): o is ConfigMap | Secret => o !== undefined).map(toConfigData);
  }

  async function publishFor(node: string): Promise<void> {
    const [nodeObject, bound] = await Promise.all([
      store.get<Node>({ kind: 'Node', namespace: '', name: node }),
      store.list<Pod>('Pod', { fieldSelector: { 'spec.nodeName': node } }),
    ]);
    const config = nodeObject ? await configFor(podsForNode(node, bound.items)) : [];
    const set = buildDesiredSet(node, bound.items, bound.revision, nodeObject !== undefined, clock, config);
    const content = { pods: set.pods, config: set.config };
    if (published.has(node) && isDeepStrictEqual(published.get(node), content)) return;
    await broker.publish(topics.nodeDesired(node), encodeMessage(set), { retain: true, qos: 1 });
    published.set(node, content);
    // names only: config values never reach the logs
    logger.debug({ node, generation: set.generation, pods: set.pods.length, config: set.config.map((c) => `${c.kind}/${c.namespace}/${c.name}`) }, 'desired set published');
  }

  /** Publishes for every dirty node; returns the nodes whose publish failed. */
  async function runFlush(): Promise<string[]> {
    const nodes = [...dirty];
    dirty.clear();
    const failed: string[] = [];
    for (const node of nodes) {
      if (stopped) break;
      try {
        await publishFor(node);
      } catch (err) {
        logger.error({ err, node }, 'publishing the desired set failed; will retry');
        failed.push(node);
      }
    }
    return failed;
  }

  async function flush(): Promise<void> {
    if (flushing) {
      await flushing;
      if (dirty.size === 0) return;
      return flush();
    }
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    let failed: string[] = [];
    flushing = runFlush().then((f) => {
      failed = f;
    });
    try {
      await flushing;
    } finally {
      flushing = undefined;
    }
    // Changes that came in during the flush go out after the usual pause; failures after retryMs.
    if (dirty.size > 0) schedule(coalesceMs);
    for (const node of failed) dirty.add(node);
    if (failed.length > 0) schedule(retryMs);
  }

  return {
    async start() {
      const [nodes, podList] = await Promise.all([store.list<Node>('Node'), store.list<Pod>('Pod')]);
      for (const pod of podList.items) {
        pods.set(pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`, {
          node: pod.spec.nodeName ?? '',
          fingerprint: podFingerprint(pod),
          refs: podConfigRefs(pod).map(configRefKey),
        });
      }
      watches.push(store.watch({ kind: 'Pod', fromRevision: podList.revision }, onPodEvent));
      watches.push(store.watch({ kind: 'Node', fromRevision: nodes.revision }, onNodeEvent));
      watches.push(store.watch({ kind: 'ConfigMap', fromRevision: podList.revision }, onConfigEvent));
      watches.push(store.watch({ kind: 'Secret', fromRevision: podList.revision }, onConfigEvent));
      for (const node of nodes.items) dirty.add(node.metadata.name);
      await flush();
      logger.info({ nodes: nodes.items.length }, 'desired sets published for every node');
    },
    async stop() {
      stopped = true;
      for (const w of watches.splice(0)) w.close();
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (flushing) await flushing;
    },
    flush,
  };
}

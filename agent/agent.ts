/**
 * createAgent: the agent's composition root. Wires the folders, which do not import each other
 * (lint rule; what link and pods share is desired-set.ts, state-file.ts and errors.ts here):
 *   link/   join + connection: the node's credentials and its MQTT session with the hub;
 *           desired-state-store: the desired set, on disk before it is acted on; commands: logs/exec;
 *           node-status and pod-status-reporter: what goes up
 *   pods/   reconciler: runtime containers <- desired set (pod worker, back-off, adoption);
 *           probes/prober: a failed liveness asks the reconciler to kill; pod-events: Pulling/Started/...;
 *           pod-status-tracker: kubelet-style pod status after each pass
 *   host/   collector + one fingerprinter per fact
 *   network/ the pod network: each pod's sandbox (CNI on containerd, a pause container on Docker), the
 *           node's bridge and the VXLAN overlay, from the network set link/network-set-store keeps;
 *           node-services: the service proxy (nftables), cluster DNS on the bridge address and the
 *           service variables of new containers (the pods loop's PodServiceEnv), from the same set
 * Holds no logic of its own beyond routing messages and timers.
 */
import { mkdir } from 'node:fs/promises';
import type { Logger } from '../protocol/logger.js';
import type { NetworkSetMessage } from '../protocol/messages.js';
import { parseTopic, topics } from '../protocol/topics.js';
import type { ContainerRuntime } from '../runtime-adapters/runtime.js';
import { podUid } from './desired-set.js';
import { InvalidOptionError } from './errors.js';
import { createFactsCollector, defaultFingerprinters, type FactsCollector } from './host/collector.js';
import { createCommandHandler } from './link/commands.js';
import { createStreamHandler, type StreamHandler } from './link/streams.js';
import { createNodeConnection, type NodeConnection } from './link/connection.js';
import { createDesiredStateStore } from './link/desired-state-store.js';
import { createNetworkSetStore } from './link/network-set-store.js';
// The pod network and the Services (about 30 modules: CNI, overlay, DNS server, service proxy) are imported
// only by an agent that runs them: an agent with --no-pod-network never loads them (agent/README.md, Memory).
import type { NodeNetwork, NodeNetworkOptions } from './network/node-network.js';
import type { NodeServices, NodeServicesOptions } from './network/node-services.js';
import { NO_POD_NETWORK } from './pod-sandbox.js';
import { NO_SERVICE_ENV } from './pod-services.js';
import { ensureCredentials, type EnsureCredentialsOptions } from './link/join.js';
import { hubImageSource } from './image-hub.js';
import { createImageGc, type ImageGc } from './pods/image-gc.js';

/** Where each runtime keeps its images (the filesystem image GC watches). */
const IMAGE_FS: Partial<Record<string, string>> = { containerd: '/var/lib/containerd', docker: '/var/lib/docker' };
import { AGENT_VERSION, buildNodeStatusMessage, hostIPOf } from './link/node-status.js';
import { createNodeStatusLink } from './link/node-status-publisher.js';
import { localVolumeDir } from './local-volumes.js';
import { createPodUsageSampler } from './pods/pod-usage.js';
import { cgroupLayout, readCgroupUsage, type CgroupLayout } from '../runtime-adapters/cgroup-usage.js';
import { createPodStatusReporter, type PodStatusReporter } from './link/pod-status-reporter.js';
import { createContainerRecords } from './pods/container-records.js';
import { createPodEventQueue } from './pods/pod-events.js';
import { createPodStatusTracker } from './pods/pod-status-tracker.js';
import { createProber, type Prober } from './pods/probes/prober.js';
import { createReconciler, type Reconciler } from './pods/reconciler.js';

export const DEFAULT_STATUS_INTERVAL_MS = 5_000;
/**
 * How long an agent with no usable stored desired set waits for the hub before it says so loudly. Before and
 * after, it touches no container: what runs keeps running, nothing is removed until a valid set arrives.
 */
export const DEFAULT_DESIRED_WAIT_MS = 5 * 60_000;

export interface AgentOptions {
  /** mqtt://host:port; optional when the data dir holds credentials (their hub is used). */
  hubUrl?: string | undefined;
  /** Join token; needed only the first time (no credentials in the data dir). */
  token?: string | undefined;
  /** The node name to join as. */
  name: string;
  runtime: ContainerRuntime;
  dataDir: string;
  logger: Logger;
  clock?: () => number;
  /** Heartbeat period (default 5 s); the full node status goes on change and every statusRefreshMs. */
  statusIntervalMs?: number;
  /** How often the full node status goes even when nothing in it changed (default 60 s). */
  statusRefreshMs?: number;
  reconcileIntervalMs?: number;
  /** Full pod status report period (default 30 s). */
  fullReportIntervalMs?: number;
  /** Reconnect back-off bounds (defaults 1 s .. 30 s). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  joinTimeoutMs?: number;
  /** With no usable stored desired set: how long to wait for the hub's before a loud warning (default 5 min). */
  desiredWaitMs?: number;
  /**
   * The hub's HTTPS listener ("host:port") whose registry serves images pushed with `drover image push`
   * (default: the MQTT hub's host, port 7070); false: never pull from the hub.
   */
  imageHub?: string | false | undefined;
  /** Replaces the host fingerprinters (tests). */
  facts?: FactsCollector;
  /**
   * The pod network (on by default for containerd and Docker, off for the fake runtime): false to run every
   * pod on the runtime's own network even when the hub sends a network set; options to rename what it makes
   * (tests running several nodes on one host).
   */
  network?: false | Partial<Pick<NodeNetworkOptions, 'names' | 'cniPath' | 'pauseImage' | 'run' | 'nodeDns' | 'resyncMs'>>;
  /** The service proxy and cluster DNS (with the pod network): options to rename or move them (tests). */
  services?: Partial<Pick<NodeServicesOptions, 'table' | 'dnsPort' | 'resolvConf' | 'runner' | 'resyncMs'>>;
}

export interface Agent {
  /** The node name, known once start() has the credentials. */
  readonly nodeName: string | undefined;
  /** Join if needed, load the stored desired set, start running pods and connect to the hub. */
  start(): Promise<void>;
  /** Publish presence offline and disconnect. Pods keep running; a restarted agent adopts them. */
  stop(): Promise<void>;
  /** True while the MQTT session with the hub is up. */
  isConnected(): boolean;
}

export async function createAgent(opts: AgentOptions): Promise<Agent> {
  if (opts.statusIntervalMs !== undefined && !(opts.statusIntervalMs > 0)) throw new InvalidOptionError('the status interval must be positive');
  if (opts.reconcileIntervalMs !== undefined && !(opts.reconcileIntervalMs > 0)) throw new InvalidOptionError('the reconcile interval must be positive');
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const clock = opts.clock ?? Date.now;
  const log = opts.logger.child({ component: 'agent' });
  const statusIntervalMs = opts.statusIntervalMs ?? DEFAULT_STATUS_INTERVAL_MS;

  let nodeName: string | undefined;
  let connection: NodeConnection | undefined;
  let reconciler: Reconciler | undefined;
  let reporter: PodStatusReporter | undefined;
  let streamHandler: StreamHandler | undefined;
  let facts: FactsCollector | undefined;
  let prober: Prober | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let imageGc: ImageGc | undefined;
  let network: NodeNetwork | undefined;
  let desiredWaitTimer: NodeJS.Timeout | undefined;
  let services: NodeServices | undefined;

  async function start(): Promise<void> {
    const credOpts: EnsureCredentialsOptions = {
      dataDir: opts.dataDir,
      hubUrl: opts.hubUrl,
      token: opts.token,
      nodeName: opts.name,
      logger: opts.logger,
      clock,
    };
    if (opts.joinTimeoutMs !== undefined) credOpts.joinTimeoutMs = opts.joinTimeoutMs;
    const credentials = await ensureCredentials(credOpts);
    const name = credentials.nodeName;
    nodeName = name;
    const logger = opts.logger.child({ node: name });

    const hubImages = hubImageSource(opts, credentials);
    const records = createContainerRecords({ dataDir: opts.dataDir, logger });
    await records.load();
    // a split set's parts are on topics of their own: the connection subscribes to them once a part names them
    let subscribeParts = (_parts: number): void => undefined;
    const store = createDesiredStateStore({ dataDir: opts.dataDir, nodeName: name, logger, onParts: (parts) => subscribeParts(parts) });
    const stored = await store.loadOrDiscard();
    if (stored) log.info({ generation: stored.generation, pods: stored.pods.length }, 'running the stored desired set until the hub sends a newer one');
    else log.warn('no usable stored desired set: waiting for the hub; no container is stopped or removed until it sends one');

    // Facts are collected in the background of the first pods starting: the stored desired set runs
    // as early as possible, and the first node status goes out once the facts are in.
    facts = opts.facts ?? createFactsCollector({ fingerprinters: defaultFingerprinters({ dataDir: opts.dataDir, runtime: opts.runtime }), logger });
    const currentFacts = facts;

    // The stored network set is applied before the hub is reached: a device that lost its uplink keeps its pod network.
    const networkStore = createNetworkSetStore({ dataDir: opts.dataDir, nodeName: name, logger });
    const storedNetwork = await networkStore.loadOrDiscard();
    let onVtepMac = (): void => undefined;
    const withNetwork = !(opts.network === false || (opts.network === undefined && opts.runtime.name === 'fake'));
    const { createNodeNetwork } = withNetwork ? await import('./network/node-network.js') : { createNodeNetwork: undefined };
    const { createNodeServices } = withNetwork ? await import('./network/node-services.js') : { createNodeServices: undefined };
    const podNetwork =
      createNodeNetwork === undefined
        ? undefined
        : createNodeNetwork({
            nodeName: name,
            runtime: opts.runtime.name,
            dataDir: opts.dataDir,
            logger,
            nodeIP: () => hostIPOf(currentFacts.facts()),
            onVtepMac: () => onVtepMac(),
            ...(opts.network || {}),
          });
    network = podNetwork;
    // the service proxy, cluster DNS and service variables come with the pod network
    const nodeServices = podNetwork && createNodeServices ? createNodeServices({ logger, ...opts.services }) : undefined;
    services = nodeServices;
    /** A set to the pod network and the Services at once (DNS binds once the bridge has its address). */
    const applyNetwork = (set: NetworkSetMessage): Promise<void> =>
      Promise.all([podNetwork?.apply(set), nodeServices?.apply(set)]).then(() => undefined);
    if (storedNetwork && podNetwork) {
      log.info({ generation: storedNetwork.generation, podCIDR: storedNetwork.podCIDR }, 'applying the stored network set until the hub sends a newer one');
      void applyNetwork(storedNetwork);
    }

    const conn = createNodeConnection({
      credentials,
      logger,
      clock,
      agentVersion: AGENT_VERSION,
      ...(opts.reconnectMinMs === undefined ? {} : { reconnectMinMs: opts.reconnectMinMs }),
      ...(opts.reconnectMaxMs === undefined ? {} : { reconnectMaxMs: opts.reconnectMaxMs }),
    });
    connection = conn;
    subscribeParts = (parts) => conn.subscribe(Array.from({ length: parts - 1 }, (_, i) => topics.nodeDesiredPart(name, i + 1)));

    const events = createPodEventQueue({ clock, logger });
    // The prober and the reconciler call each other: a failed liveness probe kills through the
    // reconciler (set below), and every reconcile pass tells the prober which containers run.
    const podProber = createProber({
      runtime: opts.runtime,
      logger,
      clock,
      events,
      hostIP: () => hostIPOf(currentFacts.facts()),
      podIP: (uid) => podNetwork?.current(uid)?.podIPs[0],
      onChange: () => reconciler?.trigger(),
      onFailure: (f) => {
        const request = { podUid: podUid(f.pod), container: f.container, containerId: f.containerId, message: f.message };
        reconciler?.killContainer(f.graceSeconds === undefined ? request : { ...request, graceSeconds: f.graceSeconds });
      },
    });
    prober = podProber;

    const statuses = createPodStatusTracker({
      records,
      probes: (uid, container) => podProber.state(uid, container),
      runtimeName: opts.runtime.name,
      hostIP: () => hostIPOf(currentFacts.facts()),
      podIPs: (uid) => podNetwork?.current(uid)?.podIPs,
    });
    const podReporter = createPodStatusReporter({
      events,
      publish: (message) => conn.publish(topics.nodePods(name), message, { qos: 1 }),
      isConnected: () => conn.isConnected(),
      logger,
      clock,
      ...(opts.fullReportIntervalMs === undefined ? {} : { fullIntervalMs: opts.fullReportIntervalMs }),
    });
    reporter = podReporter;

    // per-pod CPU and memory from the runtime's cgroups every 15 s, for metrics.k8s.io (kubectl top pods)
    let layout: Promise<CgroupLayout> | undefined;
    const podUsage = createPodUsageSampler({
      cgroupPaths: opts.runtime.cgroupPaths?.bind(opts.runtime),
      read: async (candidates) => readCgroupUsage(candidates, { layout: await (layout ??= cgroupLayout()) }),
      clock,
    });
    const rec = createReconciler({
      runtime: opts.runtime,
      records,
      nodeName: name,
      dataDir: opts.dataDir,
      logger,
      clock,
      events,
      sandboxes: podNetwork ?? NO_POD_NETWORK,
      serviceEnv: nodeServices ?? NO_SERVICE_ENV,
      ...(hubImages ? { hubImages } : {}),
      ...(opts.reconcileIntervalMs === undefined ? {} : { intervalMs: opts.reconcileIntervalMs }),
      onObserved: (observation) => {
        podUsage.observe(observation.containersByPod);
        podProber.sync(observation);
        podReporter.observe(statuses.compute(observation));
      },
    });
    reconciler = rec;
    const gc = createImageGc({ runtime: opts.runtime, logger, ...(IMAGE_FS[opts.runtime.name] ? { path: IMAGE_FS[opts.runtime.name] } : {}) });
    imageGc = gc;

    const commands = createCommandHandler({
      nodeName: name,
      runtime: opts.runtime,
      desired: () => store.current(),
      publish: (topic, message) => conn.publish(topic, message, { qos: 1 }),
      logger,
      clock,
      dataDir: opts.dataDir,
    });

    const streams = createStreamHandler({
      nodeName: name,
      runtime: opts.runtime,
      desired: () => store.current(),
      publish: (topic, frame) => conn.publish(topic, frame, { qos: 1 }),
      logger,
      clock,
      podIP: (uid) => podNetwork?.current(uid)?.podIPs[0],
      dataDir: opts.dataDir,
    });
    streamHandler = streams;

    const { publisher: nodeStatus, tick: publishNodeStatus } = createNodeStatusLink({
      conn,
      name,
      build: () => buildNodeStatusMessage(currentFacts.facts(), name, clock, podNetwork?.vtepMAC(), localVolumeDir(opts.dataDir)),
      clock,
      refreshMs: opts.statusRefreshMs,
      podUsage: () => podUsage.latest(),
      logger: log,
    });

    /** The node's part or the shared network data: stored, then applied if the set changed. */
    const receiveNetwork = (topic: string, payload: Buffer): void => {
      networkStore.receive(topic, payload).then(
        (set) => {
          if (!set) return;
          void applyNetwork(set).then(() => rec.trigger());
        },
        (err: unknown) => log.error({ err }, 'could not store the network set; it is not acted on until stored'),
      );
    };
    // a gap in the shared deltas (or none held yet): read the snapshot until in sync again
    networkStore.onResync((on) => (on ? conn.subscribe([topics.clusterNetworkSnapshot()]) : conn.unsubscribe([topics.clusterNetworkSnapshot()])));
    conn.onMessage((topic, payload) => {
      const parsed = parseTopic(topic);
      if (parsed?.kind === 'cluster') {
        receiveNetwork(topic, payload);
        return;
      }
      if (parsed?.kind !== 'node' || parsed.node !== name) {
        log.warn({ topic }, 'message on an unexpected topic dropped');
        return;
      }
      if (parsed.channel === 'desired') {
        store.receive(topic, payload).then(
          (set) => {
            if (set) rec.setDesired(set);
          },
          (err: unknown) => log.error({ err }, 'could not store the desired set; it is not acted on until stored'),
        );
      } else if (parsed.channel === 'network') {
        receiveNetwork(topic, payload);
      } else if (parsed.channel === 'cmd') {
        commands.handle(topic, payload).catch((err: unknown) => log.error({ err }, 'could not answer a command'));
      } else if (parsed.channel === 'streams') {
        streams.handle(topic, payload);
      } else {
        log.warn({ topic }, 'message on an unexpected channel dropped');
      }
    });
    conn.onConnect(() => {
      // frames of the streams open before may have been lost with the old connection
      streams.closeAll('the node reconnected');
      nodeStatus.forceFull();
      void publishNodeStatus();
      void podReporter.sendFull();
    });

    // a new VTEP MAC goes up in the next full status (it is part of what counts as a change)
    onVtepMac = () => void publishNodeStatus();
    if (stored) rec.setDesired(stored);
    else {
      const waitMs = opts.desiredWaitMs ?? DEFAULT_DESIRED_WAIT_MS;
      desiredWaitTimer = setTimeout(() => {
        if (rec.holding()) {
          log.warn(
            { waitedSeconds: Math.round(waitMs / 1000), hubConnected: conn.isConnected() },
            'still no desired set from the hub: the containers on this node keep running as they are, and nothing is removed until the hub sends a set',
          );
        }
      }, waitMs);
      desiredWaitTimer.unref?.();
    }
    rec.start();
    await currentFacts.start();
    // the node's address is known now: the overlay of the stored set can be made
    const storedSet = podNetwork?.networkSet();
    if (podNetwork && storedSet) void podNetwork.apply(storedSet);
    podNetwork?.start();
    nodeServices?.start();
    podReporter.start();
    // each interval: the pods' cgroups are read, then the heartbeat (or full status) goes with that sample
    statusTimer = setInterval(() => void podUsage.sample().catch((err: unknown) => log.debug({ err }, 'pod usage sample failed')).finally(() => publishNodeStatus()), statusIntervalMs);
    conn.start();
    gc.start();
    log.info({ node: name, runtime: opts.runtime.name, dataDir: opts.dataDir }, 'agent started');
  }

  return {
    get nodeName() {
      return nodeName;
    },
    start,
    async stop() {
      if (statusTimer) clearInterval(statusTimer);
      statusTimer = undefined;
      imageGc?.stop();
      if (desiredWaitTimer) clearTimeout(desiredWaitTimer);
      reporter?.stop();
      streamHandler?.closeAll('the agent is stopping');
      prober?.stop();
      facts?.stop();
      await reconciler?.stop();
      await network?.stop();
      await services?.stop();
      await connection?.stop();
      log.info('agent stopped; its pods keep running');
    },
    isConnected: () => connection?.isConnected() ?? false,
  };
}

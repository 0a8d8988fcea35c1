/**
 * createHub: the hub's composition root. Opens the store, the credentials, the embedded MQTT broker, the
 * fleet layer, the scheduler and controllers, and the HTTP API, and tears them down in reverse order.
 * Nothing here holds logic of its own; each part lives in its folder with its own README.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../protocol/logger.js';
import { createSqliteStore } from './store/sqlite-store.js';
import { createEncryptingStore } from './secrets/index.js';
import { AlreadyExistsError } from './store/errors.js';
import type { Store } from './store/store.js';
import { createAuthService } from './auth/index.js';
import { createImageStore } from './images/index.js';
import { writeFileDurable } from '../protocol/durable-file.js';
import { formatCliConfig, mayReplaceCliConfig } from '../protocol/cli-config.js';
import { ensurePki, startCertRenewal } from './pki/index.js';
import { isLoopbackHost } from '../protocol/join-token.js';
import { InvalidHubOptionError } from './hub-errors.js';
import { createBroker } from './broker/index.js';
import { createFleet, createNodeCommands, createNodeStreams } from './fleet/index.js';
import { createSchedulerRunner } from './scheduler/runner.js';
import { createApiServer, type ApiAuth, type FlowControlOptions } from './api/index.js';
import { createEventRecorder } from './events/recorder.js';
import { createDiskMonitor } from './disk-monitor.js';
import { createNodeLifecycleController, type NodeLifecycleOptions } from './controllers/node-lifecycle/controller.js';
import { createNodeHealth } from './controllers/node-lifecycle/node-health.js';
import { createNodeLeases } from './leases/index.js';
import { createObjectCache } from './cache/object-cache.js';
import { createNodeIpamController } from './controllers/network/node-ipam.js';
import { createEndpointSliceController } from './controllers/network/endpoint-slices.js';
import { createEndpointsController } from './controllers/network/endpoints.js';
import { checkClusterNetwork, DEFAULT_CLUSTER_NETWORK, type ClusterNetwork } from '../protocol/cluster-network.js';
import { createWorkloadControllers } from './controllers/workloads.js';
import { createVolumeController } from './controllers/volume/volume-controller.js';
import { createPodSecurityAdmission, type PodSecurityExemptions } from './admission/pod-security/admission.js';
import type { Policy } from '../protocol/pod-security.js';
import { createAuditLog, type AuditLog } from './audit/audit-log.js';
import type { AuditLevel } from './audit/audit-event.js';
import { NODE_LEASE_NAMESPACE } from '../protocol/objects/lease.js';

/** The local admin's CLI config in the data dir, written at every start. */
export const CLI_CONFIG_FILE = 'cli-config.json';

/** Deployments and DaemonSets reconcile at most this often each (their reconcile reads all they own). */
const DEFAULT_MIN_RECONCILE_INTERVAL_MS = 250;

export interface ListenAddress {
  host: string;
  port: number;
}

export interface HubOptions {
  dataDir: string;
  http: ListenAddress;
  mqtt: ListenAddress;
  /** Serve `mqtt` as mqtts (default: unless its host is loopback). */
  mqttTls?: boolean;
  /** An extra plain MQTT listener; loopback only (e.g. 127.0.0.1:1883). */
  mqttPlain?: ListenAddress;
  /**
   * Serve `http` as HTTPS (default true, on every address: kubectl sends no bearer token over plain
   * HTTP). false = plain HTTP, loopback only (`drover hub --insecure-http`, for tests and debugging).
   */
  httpTls?: boolean;
  /** How often to check whether the server certificate is due for renewal (default 12 h). */
  certCheckIntervalMs?: number;
  /** Extra subjectAltNames for the hub's TLS certificate (--tls-san). */
  tlsSans?: string[];
  logger: Logger;
  clock?: () => number;
  /**
   * The user's CLI config ({server, token, certificateAuthority}) to write for the local admin when it
   * is absent or this hub's own (protocol/cli-config.ts mayReplaceCliConfig); another hub's is left
   * alone. undefined = only `<data dir>/cli-config.json`.
   */
  configPath?: string;
  /** A node whose status stops for this long is NotReady (default 15 s). */
  statusStaleAfterMs?: number;
  /** How long a pod stays on a NotReady node before it is evicted, unless it tolerates that (default 30 s). */
  evictionGraceMs?: number;
  /** How long a node not heard from since the hub started stays Ready (default 60 s): the reconnect storm after a restart. */
  nodeStartupGraceMs?: number;
  /** Node eviction rates and the disruption thresholds (hub/controllers/node-lifecycle/eviction-limiter.ts defaults if absent). */
  eviction?: NodeLifecycleOptions['eviction'];
  /** Largest MQTT payload the broker accepts (default protocol MAX_PAYLOAD_BYTES, 4 MiB). */
  maxPayloadBytes?: number;
  /**
   * Move the store's revision forward by this much at start (etcd's --bump-revision), for a store restored
   * from a backup: every revision and desired-set generation handed out after the backup is passed.
   */
  bumpRevision?: number;
  /** The cluster's address plan (pod and service CIDRs, NodePort range, DNS domain); K3s' defaults for what is left out. */
  network?: Partial<ClusterNetwork>;
  /** Pod Security admission: the policy of namespaces without labels (baseline) and who is exempt (admin tokens). */
  podSecurity?: { defaults?: Policy; exemptions?: PodSecurityExemptions };
  /** The API's audit log: level (Metadata; None writes none), file (<data dir>/audit.log), rotation by size. */
  audit?: { level?: AuditLevel; path?: string; maxBytes?: number; maxBackups?: number };
  /** Per-token API request rate, requests in flight and open watches (hub/api/flow-control.ts defaults if absent). */
  apiFlowControl?: FlowControlOptions;
}

export interface Hub {
  httpUrl: string;
  mqttUrl: string;
  /** The plain loopback MQTT listener's URL, when there is one. */
  mqttPlainUrl: string | undefined;
  /** Hex SHA-256 of the hub CA (DER), as join tokens carry it; and where the CA certificate is. */
  caFingerprint: string;
  caCertPath: string;
  adminToken: string;
  /** The CLI config to use for this hub: `HubOptions.configPath` when it was written, else `ownConfigPath`; undefined without a configPath. */
  configPath: string | undefined;
  /** This hub's CLI config in its data dir (`<data dir>/cli-config.json`), always written. */
  ownConfigPath: string;
  /** The user's CLI config when it belongs to another hub and was left as it was. */
  otherHubConfig: string | undefined;
  store: Store;
  close(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

async function ensureNamespace(store: Store, name: string): Promise<void> {
  try {
    await store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, namespace: '' }, status: { phase: 'Active' } });
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
  }
}

export async function createHub(opts: HubOptions): Promise<Hub> {
  const logger = opts.logger.child({ component: 'hub' });
  const clock = opts.clock ?? Date.now;
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });

  const network: ClusterNetwork = { ...DEFAULT_CLUSTER_NETWORK, ...opts.network };
  try {
    checkClusterNetwork(network);
  } catch (err) {
    throw new InvalidHubOptionError(`the cluster network settings are not usable: ${(err as Error).message}`);
  }
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        logger.error({ err }, 'error while shutting down');
      }
    }
  };

  try {
    const sqlite = await createSqliteStore({ path: join(opts.dataDir, 'state.db'), logger: opts.logger.child({ component: 'store' }), clock });
    closers.push(() => sqlite.close());
    if (opts.bumpRevision) {
      const from = await sqlite.revision();
      const to = await sqlite.bumpRevision(from + opts.bumpRevision);
      logger.warn({ from, to }, `--bump-revision: the store's revision moved from ${from} to ${to}; agents take the sets published from now on, watches re-list`);
    }
    // Secrets are encrypted at rest with the key in <data dir>/secrets.key (created 0600 on first start).
    const diskMonitor = await createDiskMonitor({ path: opts.dataDir, logger: opts.logger.child({ component: 'disk' }) });
    closers.push(async () => diskMonitor.stop());
    const store = await createEncryptingStore(sqlite, { keyFile: join(opts.dataDir, 'secrets.key'), logger: opts.logger.child({ component: 'secrets' }) });
    await ensureNamespace(store, 'default');
    await ensureNamespace(store, 'kube-system');
    await ensureNamespace(store, NODE_LEASE_NAMESPACE); // the node Leases' (served from hub/leases, not stored)
    // what the control loops read instead of listing the store (hub/cache)
    const cache = createObjectCache({ store, logger: opts.logger.child({ component: 'cache' }) });
    await cache.start();
    closers.push(async () => cache.stop());
    // Pod Security admission: the API's pod, template and namespace writes and the controllers' pod creates
    const podSecurity = createPodSecurityAdmission({ cache, ...opts.podSecurity });
    // who did what through the API: JSON lines in <data dir>/audit.log, rotated, never blocking a request
    let auditLog: AuditLog | undefined;
    if ((opts.audit?.level ?? 'Metadata') !== 'None') {
      const log = createAuditLog({
        path: opts.audit?.path ?? join(opts.dataDir, 'audit.log'),
        ...(opts.audit?.maxBytes !== undefined ? { maxBytes: opts.audit.maxBytes } : {}),
        ...(opts.audit?.maxBackups !== undefined ? { maxBackups: opts.audit.maxBackups } : {}),
        logger: opts.logger.child({ component: 'audit' }),
      });
      auditLog = log;
      closers.push(() => log.close());
    }

    const mqttTls = opts.mqttTls ?? !isLoopbackHost(opts.mqtt.host);
    const httpTls = opts.httpTls ?? true;
    if (!httpTls && !isLoopbackHost(opts.http.host)) throw new InvalidHubOptionError(`plain HTTP is served only on loopback, not on ${opts.http.host}`);
    if (!mqttTls && !isLoopbackHost(opts.mqtt.host)) throw new InvalidHubOptionError(`plain MQTT is served only on loopback, not on ${opts.mqtt.host}`);
    if (opts.mqttPlain && !isLoopbackHost(opts.mqttPlain.host)) {
      throw new InvalidHubOptionError(`--mqtt-plain must be a loopback address such as 127.0.0.1:1883, not ${opts.mqttPlain.host}`);
    }
    const pkiOptions = { dataDir: opts.dataDir, extraSans: opts.tlsSans, logger: opts.logger.child({ component: 'pki' }), clock };
    const pki = await ensurePki(pkiOptions);
    const tls = { key: pki.serverKeyPem, cert: pki.serverChainPem };
    const auth = createAuthService({ store, logger: opts.logger.child({ component: 'auth' }), clock, caFingerprint: pki.caFingerprint });
    closers.push(async () => auth.close());
    const adminToken = await auth.ensureAdminToken(join(opts.dataDir, 'admin.token'));
    const events = await createEventRecorder({ store, cache, logger: opts.logger.child({ component: 'events' }), clock });

    // the /metrics registry: the broker and the fleet count into it, the API serves it
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'drover_hub_' });
    const broker = await createBroker({
      auth,
      metrics: registry,
      clock,
      logger: opts.logger.child({ component: 'broker' }),
      ...(opts.maxPayloadBytes !== undefined ? { maxPayloadBytes: opts.maxPayloadBytes } : {}),
    });
    closers.push(() => broker.close());
    const mqttBound = await broker.listen(opts.mqtt.host, opts.mqtt.port, mqttTls ? { tls } : {});
    const mqttPlainBound = opts.mqttPlain ? await broker.listen(opts.mqttPlain.host, opts.mqttPlain.port) : undefined;

    // when each node was last heard from: renewed by the fleet, read by node health (hub/leases)
    const leases = createNodeLeases();
    const fleet = await createFleet({
      network,
      store,
      broker,
      auth,
      logger: opts.logger.child({ component: 'fleet' }),
      clock,
      leases,
      cache,
      events,
      metrics: registry,
    });
    await fleet.start();
    closers.push(() => fleet.stop());
    // `drover logs` / `drover exec`: the API asks agents over cmd/reply topics
    const nodeCommands = createNodeCommands({ broker, logger: opts.logger.child({ component: 'fleet' }), clock });
    nodeCommands.start();
    closers.push(async () => nodeCommands.stop());
    // kubectl exec/attach (WebSocket) and logs -f: byte streams with agents over stream topics
    const nodeStreams = createNodeStreams({ broker, logger: opts.logger.child({ component: 'fleet' }), clock });
    nodeStreams.start();
    closers.push(async () => nodeStreams.stop());

    const scheduler = await createSchedulerRunner({ store, cache, logger: opts.logger.child({ component: 'scheduler' }), clock, events });
    await scheduler.start();
    closers.push(() => scheduler.stop());

    const nodeHealth = createNodeHealth({
      store,
      cache,
      leases,
      logger: opts.logger.child({ component: 'node-lifecycle' }),
      clock,
      ...(opts.statusStaleAfterMs !== undefined ? { staleAfterMs: opts.statusStaleAfterMs } : {}),
      ...(opts.nodeStartupGraceMs !== undefined ? { startupGraceMs: opts.nodeStartupGraceMs } : {}),
    });
    await nodeHealth.start();
    closers.push(() => nodeHealth.stop());

    const nodeLifecycle = await createNodeLifecycleController({
      store,
      cache,
      logger: opts.logger.child({ component: 'node-lifecycle' }),
      clock,
      events,
      evictionGraceMs: opts.evictionGraceMs,
      ...(opts.eviction ? { eviction: opts.eviction } : {}),
    });
    await nodeLifecycle.start();
    closers.push(() => nodeLifecycle.stop());

    // the pod network: a pod CIDR for every node, endpoint slices for every Service
    const nodeIpam = await createNodeIpamController({ store, cache, network, logger: opts.logger.child({ component: 'controllers' }), clock, events });
    await nodeIpam.start();
    closers.push(() => nodeIpam.stop());
    const endpointSlices = await createEndpointSliceController({ store, cache, logger: opts.logger.child({ component: 'controllers' }), clock, events });
    await endpointSlices.start();
    closers.push(() => endpointSlices.stop());
    const endpoints = await createEndpointsController({ store, cache, logger: opts.logger.child({ component: 'controllers' }), clock, events });
    await endpoints.start();
    closers.push(() => endpoints.stop());

    const workloads = await createWorkloadControllers({ store, cache, podSecurity, minReconcileIntervalMs: DEFAULT_MIN_RECONCILE_INTERVAL_MS, logger: opts.logger.child({ component: 'controllers' }), clock, events });
    await workloads.start();
    closers.push(() => workloads.stop());

    // local persistent volumes: binding, the local-path provisioner, reclaim (the node's agent deletes a directory)
    const volumes = await createVolumeController({ store, cache, cleaner: nodeCommands, logger: opts.logger.child({ component: 'controllers' }), clock, events });
    await volumes.start();
    closers.push(() => volumes.stop());

    // Deleting a Node through the API revokes its credential and drops its live connection at once.
    const apiAuth: ApiAuth = {
      verifyApiToken: (t) => auth.verifyApiToken(t),
      createJoinToken: (o) => auth.createJoinToken(o),
      listJoinTokens: () => auth.listJoinTokens(),
      revokeJoinToken: (id) => auth.revokeJoinToken(id),
      createApiToken: (o) => auth.createApiToken(o),
      listApiTokens: () => auth.listApiTokens(),
      revokeApiToken: (id) => auth.revokeApiToken(id),
      revokeNodeCredential: async (name) => {
        const revoked = await auth.revokeNodeCredential(name);
        await broker.disconnectNode(name);
        return revoked;
      },
    };
    const api = createApiServer({
      ...(httpTls ? { tls } : {}),
      store,
      cache,
      network,
      auth: apiAuth,
      logger: opts.logger.child({ component: 'api' }),
      registry,
      clock,
      isReady: () => {
        const disk = diskMonitor.state();
        return disk.pressure ? { ready: false, reasons: [`DiskPressure: ${disk.message}`] } : { ready: true, reasons: [] };
      },
      nodeCommands,
      nodeStreams,
      podSecurity,
      leases,
      images: {
        images: createImageStore({ dataDir: opts.dataDir, logger: opts.logger }),
        auth: { verifyApiToken: (t) => auth.verifyApiToken(t), verifyNodeCredential: (u, p) => auth.verifyNodeCredential(u, p) },
      },
      ...(auditLog ? { auditLog } : {}),
      ...(opts.apiFlowControl ? { flowControl: opts.apiFlowControl } : {}),
    });
    const httpBound = await api.listen(opts.http.host, opts.http.port);
    closers.push(() => api.close());

    // renew the server certificate while running (due 90 days before expiry), without a restart
    const renewal = startCertRenewal({
      ensure: () => ensurePki(pkiOptions),
      apply: (next) => {
        broker.setTls(next);
        api.setTls(next);
      },
      current: pki.serverChainPem,
      logger: opts.logger.child({ component: 'pki' }),
      ...(opts.certCheckIntervalMs !== undefined ? { intervalMs: opts.certCheckIntervalMs } : {}),
    });
    closers.push(async () => renewal.stop());

    const httpUrl = `${httpTls ? 'https' : 'http'}://${urlHost(opts.http.host)}:${httpBound.port}`;
    const mqttUrl = `${mqttTls ? 'mqtts' : 'mqtt'}://${urlHost(opts.mqtt.host)}:${mqttBound.port}`;
    const mqttPlainUrl = opts.mqttPlain && mqttPlainBound ? `mqtt://${urlHost(opts.mqttPlain.host)}:${mqttPlainBound.port}` : undefined;
    // the local admin's CLI config: always in the data dir; the user's too unless it is another hub's
    const cliConfig = formatCliConfig({ server: httpUrl, token: adminToken, certificateAuthority: pki.caCertPath });
    const ownConfigPath = join(opts.dataDir, CLI_CONFIG_FILE);
    await writeFileDurable(ownConfigPath, cliConfig, { mode: 0o600 });
    let configPath: string | undefined;
    let otherHubConfig: string | undefined;
    if (opts.configPath) {
      const existing = await readFile(opts.configPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        return ''; // unreadable: not ours to replace
      });
      if (mayReplaceCliConfig(existing, opts.configPath, pki.caCertPath, existsSync)) {
        await writeFileDurable(opts.configPath, cliConfig, { mode: 0o600 });
        configPath = opts.configPath;
      } else {
        configPath = ownConfigPath;
        otherHubConfig = opts.configPath;
        logger.warn({ configPath: opts.configPath, ownConfigPath }, 'the CLI config belongs to another hub: left as it is; this hub\'s is in its data dir');
      }
    }
    await writeFileDurable(
      join(opts.dataDir, 'hub.json'),
      `${JSON.stringify({ httpUrl, mqttUrl, mqttPlainUrl, caFingerprint: pki.caFingerprint, pid: process.pid }, null, 2)}\n`,
      { mode: 0o600 },
    );
    logger.info({ httpUrl, mqttUrl, mqttPlainUrl, caFingerprint: pki.caFingerprint, dataDir: opts.dataDir }, 'hub started');

    return {
      httpUrl,
      mqttUrl,
      mqttPlainUrl,
      caFingerprint: pki.caFingerprint,
      caCertPath: pki.caCertPath,
      adminToken,
      configPath,
      ownConfigPath,
      otherHubConfig,
      store,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

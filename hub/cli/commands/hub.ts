/**
 * `drover hub [--data-dir D] [--http HOST:PORT] [--mqtt HOST:PORT] [--mqtt-plain 127.0.0.1:PORT]
 * [--tls] [--insecure-http] [--tls-san NAME]...`: run a hub in this process until SIGINT/SIGTERM, then
 * close it gracefully. Writes the local admin's CLI config (unless the user's is another hub's: then
 * only into D/cli-config.json). --http is HTTPS on every address (the hub's own CA in D/pki;
 * --insecure-http for plain HTTP on loopback); --mqtt is mqtts unless it listens on loopback, where
 * --tls still asks for it.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import { createRootLogger, type Logger } from '../../../protocol/logger.js';
import { memoryToBytes } from '../../../protocol/quantity.js';
import { parsePolicy, uniformPolicy } from '../../../protocol/pod-security.js';
import { UsageError } from '../errors.js';
import { createHub, type Hub, type HubOptions } from '../../hub.js';
import { configPath } from '../config.js';
import type { CliIO } from '../io.js';
import { parseDuration, parseHostPort } from '../shared.js';

export interface HubFlags {
  dataDir?: string;
  /** How long a silent node stays Ready (duration, default 15s). */
  nodeMonitorGrace?: string;
  /** How long pods stay on a NotReady node before eviction (duration, default 30s). */
  evictionGrace?: string;
  /** How long a node not heard from since the hub started stays Ready (duration, default 60s). */
  nodeStartupGrace?: string;
  nodeEvictionRate?: string;
  secondaryNodeEvictionRate?: string;
  unhealthyZoneThreshold?: string;
  largeClusterSizeThreshold?: string;
  http: string;
  mqtt: string;
  mqttPlain?: string;
  tls?: boolean;
  /** --insecure-http: the API over plain HTTP (loopback only; for tests and debugging). */
  insecureHttp?: boolean;
  tlsSan?: string[];
  maxMqttPayload?: string;
  /** --bump-revision N: move the store revision forward by N at start (after a restore). */
  bumpRevision?: string;
  /** --store sqlite | etcd://HOST:PORT,... | etcds://... (hub/store/store-location.ts), with --etcd-ca/--etcd-cert/--etcd-key. */
  store?: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
  clusterCidr?: string;
  serviceCidr?: string;
  nodeCidrMaskSize?: string;
  serviceNodePortRange?: string;
  clusterDomain?: string;
  podSecurityDefault?: string;
  podSecurityExempt?: string;
  auditLevel?: string;
  auditLogPath?: string;
  auditLogMaxsize?: string;
  auditLogMaxbackup?: string;
  apiQps?: string;
  apiBurst?: string;
  apiMaxInflight?: string;
  apiMaxWatches?: string;
  /** --horizontal-pod-autoscaler-sync-period and friends (durations). */
  horizontalPodAutoscalerSyncPeriod?: string;
  horizontalPodAutoscalerDownscaleStabilization?: string;
  horizontalPodAutoscalerCpuInitializationPeriod?: string;
  horizontalPodAutoscalerMetricsMaxAge?: string;
}

type PodSecurityFlags = NonNullable<Parameters<typeof createHub>[0]['podSecurity']>;
type AuditFlags = NonNullable<Parameters<typeof createHub>[0]['audit']>;

/** --pod-security-default LEVEL | enforce=L[:V],warn=L[:V],audit=L[:V] and --pod-security-exempt admin,token:ID,namespace:NS | none. */
export function parsePodSecurityFlags(flags: Pick<HubFlags, 'podSecurityDefault' | 'podSecurityExempt'>): PodSecurityFlags {
  const out: PodSecurityFlags = {};
  if (flags.podSecurityDefault !== undefined) {
    const parsed = parsePolicy(flags.podSecurityDefault, uniformPolicy('baseline'));
    if ('error' in parsed) throw new UsageError(`--pod-security-default: ${parsed.error}`);
    out.defaults = parsed.policy;
  }
  if (flags.podSecurityExempt !== undefined) {
    const tokens: string[] = [];
    const namespaces: string[] = [];
    let adminTokens = false;
    for (const item of flags.podSecurityExempt.split(',').map((i) => i.trim())) {
      if (item === 'admin') adminTokens = true;
      else if (item.startsWith('token:') && item.length > 6) tokens.push(item.slice(6));
      else if (item.startsWith('namespace:') && item.length > 10) namespaces.push(item.slice(10));
      else if (item !== 'none') throw new UsageError(`--pod-security-exempt: "${item}" is not admin, token:ID, namespace:NAME or none`);
    }
    out.exemptions = { adminTokens, tokens, namespaces };
  }
  return out;
}

/** --audit-level None|Metadata, --audit-log-path, --audit-log-maxsize MiB, --audit-log-maxbackup N (kube-apiserver's names). */
export function parseAuditFlags(flags: Pick<HubFlags, 'auditLevel' | 'auditLogPath' | 'auditLogMaxsize' | 'auditLogMaxbackup'>): AuditFlags {
  const out: AuditFlags = {};
  if (flags.auditLevel !== undefined) {
    if (flags.auditLevel !== 'None' && flags.auditLevel !== 'Metadata') throw new UsageError(`--audit-level must be None or Metadata, not "${flags.auditLevel}"`);
    out.level = flags.auditLevel;
  }
  if (flags.auditLogPath !== undefined) out.path = flags.auditLogPath;
  if (flags.auditLogMaxsize !== undefined) out.maxBytes = positiveInt(flags.auditLogMaxsize, 'audit-log-maxsize') * 1024 * 1024;
  if (flags.auditLogMaxbackup !== undefined) out.maxBackups = positiveInt(flags.auditLogMaxbackup, 'audit-log-maxbackup');
  return out;
}

/** A positive whole number for --NAME. */
function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive whole number, not "${text}"`);
  return n;
}

/** A number >= 0 for --NAME (at most `max`). */
function nonNegative(text: string, flag: string, max = Number.POSITIVE_INFINITY): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) throw new Error(`--${flag} must be a number from 0${Number.isFinite(max) ? ` to ${max}` : ''}, not "${text}"`);
  return n;
}

/** "30000-32767" */
function parsePortRange(text: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`--service-node-port-range must look like 30000-32767, not "${text}"`);
  return { min: Number(m[1]), max: Number(m[2]) };
}

/** --store and the --etcd-* files, as createHub takes them (it parses the URL: hub/store/store-location.ts). */
export function storeFlags(flags: Pick<HubFlags, 'store' | 'etcdCa' | 'etcdCert' | 'etcdKey'>): HubOptions['store'] {
  return {
    ...(flags.store ? { url: flags.store } : {}),
    ...(flags.etcdCa ? { caFile: flags.etcdCa } : {}),
    ...(flags.etcdCert ? { certFile: flags.etcdCert } : {}),
    ...(flags.etcdKey ? { keyFile: flags.etcdKey } : {}),
  };
}

export const DEFAULT_HTTP = '127.0.0.1:7070';
export const DEFAULT_MQTT = '0.0.0.0:8883';

/** "4Mi", "512Ki", "100000": a positive byte count. */
export function parsePayloadLimit(text: string): number {
  const bytes = memoryToBytes(text);
  if (!Number.isFinite(bytes) || bytes < 1024) throw new Error(`--max-mqtt-payload must be at least 1Ki, not "${text}"`);
  return bytes;
}

/** --node-eviction-rate, --secondary-node-eviction-rate, --unhealthy-zone-threshold, --large-cluster-size-threshold. */
export function evictionOptions(flags: Pick<HubFlags, 'nodeEvictionRate' | 'secondaryNodeEvictionRate' | 'unhealthyZoneThreshold' | 'largeClusterSizeThreshold'>): NonNullable<HubOptions['eviction']> {
  return {
    ...(flags.nodeEvictionRate ? { evictionRate: nonNegative(flags.nodeEvictionRate, 'node-eviction-rate') } : {}),
    ...(flags.secondaryNodeEvictionRate ? { secondaryEvictionRate: nonNegative(flags.secondaryNodeEvictionRate, 'secondary-node-eviction-rate') } : {}),
    ...(flags.unhealthyZoneThreshold ? { unhealthyThreshold: nonNegative(flags.unhealthyZoneThreshold, 'unhealthy-zone-threshold', 1) } : {}),
    ...(flags.largeClusterSizeThreshold ? { largeClusterThreshold: nonNegative(flags.largeClusterSizeThreshold, 'large-cluster-size-threshold') } : {}),
  };
}

export async function startHub(flags: HubFlags, dataDir: string, io: CliIO, logger: Logger): Promise<Hub> {
  if (flags.tls && flags.insecureHttp) throw new UsageError('--tls and --insecure-http contradict each other');
  return createHub({
    dataDir,
    http: parseHostPort(flags.http, '127.0.0.1'),
    mqtt: parseHostPort(flags.mqtt, '0.0.0.0'),
    ...(flags.mqttPlain ? { mqttPlain: parseHostPort(flags.mqttPlain, '127.0.0.1') } : {}),
    ...(flags.tls ? { mqttTls: true } : {}),
    ...(flags.insecureHttp ? { httpTls: false } : {}),
    ...(flags.tlsSan?.length ? { tlsSans: flags.tlsSan } : {}),
    ...(flags.nodeMonitorGrace ? { statusStaleAfterMs: parseDuration(flags.nodeMonitorGrace) * 1000 } : {}),
    ...(flags.evictionGrace ? { evictionGraceMs: parseDuration(flags.evictionGrace) * 1000 } : {}),
    ...(flags.nodeStartupGrace ? { nodeStartupGraceMs: parseDuration(flags.nodeStartupGrace) * 1000 } : {}),
    eviction: evictionOptions(flags),
    hpa: {
      ...(flags.horizontalPodAutoscalerSyncPeriod ? { syncPeriodMs: parseDuration(flags.horizontalPodAutoscalerSyncPeriod) * 1000 } : {}),
      ...(flags.horizontalPodAutoscalerDownscaleStabilization ? { downscaleStabilizationMs: parseDuration(flags.horizontalPodAutoscalerDownscaleStabilization) * 1000 } : {}),
      ...(flags.horizontalPodAutoscalerCpuInitializationPeriod ? { cpuInitializationPeriodMs: parseDuration(flags.horizontalPodAutoscalerCpuInitializationPeriod) * 1000 } : {}),
      ...(flags.horizontalPodAutoscalerMetricsMaxAge ? { metricsMaxAgeMs: parseDuration(flags.horizontalPodAutoscalerMetricsMaxAge) * 1000 } : {}),
    },
    ...(flags.maxMqttPayload ? { maxPayloadBytes: parsePayloadLimit(flags.maxMqttPayload) } : {}),
    ...(flags.bumpRevision ? { bumpRevision: positiveInt(flags.bumpRevision, 'bump-revision') } : {}),
    store: storeFlags(flags),
    network: {
      ...(flags.clusterCidr ? { clusterCIDR: flags.clusterCidr } : {}),
      ...(flags.serviceCidr ? { serviceCIDR: flags.serviceCidr } : {}),
      ...(flags.nodeCidrMaskSize ? { nodeCIDRMaskSize: Number(flags.nodeCidrMaskSize) } : {}),
      ...(flags.serviceNodePortRange ? { nodePortRange: parsePortRange(flags.serviceNodePortRange) } : {}),
      ...(flags.clusterDomain ? { clusterDomain: flags.clusterDomain } : {}),
    },
    podSecurity: parsePodSecurityFlags(flags),
    audit: parseAuditFlags(flags),
    apiFlowControl: {
      ...(flags.apiQps ? { qps: positiveInt(flags.apiQps, 'api-qps') } : {}),
      ...(flags.apiBurst ? { burst: positiveInt(flags.apiBurst, 'api-burst') } : {}),
      ...(flags.apiMaxInflight ? { maxInflightPerToken: positiveInt(flags.apiMaxInflight, 'api-max-inflight') } : {}),
      ...(flags.apiMaxWatches ? { maxWatchesPerToken: positiveInt(flags.apiMaxWatches, 'api-max-watches') } : {}),
    },
    logger,
    configPath: configPath(io),
  });
}

/**
 * Where the admin's CLI config went, how to use it, and how to trust the hub's own CA (the status page
 * is HTTPS too): printed by `drover hub` and `drover up`.
 */
export function cliConfigLines(hub: Hub): string {
  let out = '';
  if (hub.configPath && !hub.otherHubConfig) out += `  CLI config:  ${hub.configPath} (admin token)\n`;
  else {
    out += `  CLI config:  ${hub.ownConfigPath} (admin token)\n`;
    if (hub.otherHubConfig) out += `               ${hub.otherHubConfig} is another hub's and stays as it is; for this hub: DROVER_CONFIG=${hub.ownConfigPath} drover get nodes\n`;
  }
  if (hub.httpUrl.startsWith('https:')) {
    out += `  kubectl:     ${hub.otherHubConfig ? `DROVER_CONFIG=${hub.ownConfigPath} ` : ''}drover kubeconfig --merge${hub.otherHubConfig ? ' --context NAME' : ''}   (adds this hub to ~/.kube/config; or drover kubeconfig > FILE)\n`;
    out += `  Browser:     the page is signed by the hub's own CA; trust ${hub.caCertPath}, or: curl --cacert ${hub.caCertPath} ${hub.httpUrl}/\n`;
  }
  return out;
}

/** Resolves on the first SIGINT/SIGTERM. */
export function interrupted(io: CliIO): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = io.onInterrupt((signal) => {
      stop();
      resolve(signal);
    });
  });
}

export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

export function registerHubCommand(program: Command, io: CliIO): void {
  program
    .command('hub')
    .description('run a hub: the API, status page, MQTT broker, scheduler and controllers')
    .option('--data-dir <dir>', 'where the hub keeps its state (default ~/.drover/hub)')
    .option('--node-monitor-grace <duration>', 'a node whose status stops this long is NotReady (default 15s)')
    .option('--eviction-grace <duration>', 'pods leave a NotReady node after this long, unless they tolerate it (default 30s)')
    .option('--node-startup-grace <duration>', 'after the hub starts, a node not heard from yet stays Ready this long (default 60s)')
    .option('--node-eviction-rate <nodes/s>', 'NotReady nodes whose pods are evicted per second (default 10)')
    .option('--secondary-node-eviction-rate <nodes/s>', 'the same while --unhealthy-zone-threshold of the nodes are NotReady (default 1; 0 in a fleet of at most --large-cluster-size-threshold nodes)')
    .option('--unhealthy-zone-threshold <fraction>', 'from this fraction of nodes NotReady, evictions slow down (default 0.55); with none Ready they stop')
    .option('--large-cluster-size-threshold <nodes>', 'a fleet larger than this evicts at the secondary rate when unhealthy, a smaller one not at all (default 50)')
    .option('--horizontal-pod-autoscaler-sync-period <duration>', 'how often each HorizontalPodAutoscaler is evaluated (default 15s)')
    .option('--horizontal-pod-autoscaler-downscale-stabilization <duration>', 'scale-down stabilization window of HPAs that do not set one (default 5m)')
    .option('--horizontal-pod-autoscaler-cpu-initialization-period <duration>', 'after a pod starts, CPU samples taken before it was ready a full window are skipped this long (default 5m)')
    .option('--horizontal-pod-autoscaler-metrics-max-age <duration>', "a node's pod sample older than this counts as missing, never idle (default 60s)")
    .option('--http <host:port>', 'API and status page address', DEFAULT_HTTP)
    .option('--mqtt <host:port>', 'MQTT broker address for agents (mqtts unless on loopback)', DEFAULT_MQTT)
    .option('--mqtt-plain <host:port>', 'also serve plain MQTT on this loopback address, e.g. 127.0.0.1:1883')
    .option('--tls', 'serve --mqtt as mqtts even on loopback (the API is HTTPS everywhere)')
    .option('--insecure-http', 'serve the API and status page over plain HTTP, loopback only: for tests and debugging (kubectl sends no token over it)')
    .option('--cluster-cidr <cidr>', "pods' addresses, one block per node (default 10.42.0.0/16)")
    .option('--node-cidr-mask-size <bits>', "the prefix of each node's pod CIDR (default 24)")
    .option('--service-cidr <cidr>', "Services' cluster IPs (default 10.43.0.0/16)")
    .option('--service-node-port-range <min-max>', 'NodePort range (default 30000-32767)')
    .option('--cluster-domain <domain>', 'the cluster DNS domain (default cluster.local)')
    .option('--api-qps <n>', 'requests per second each non-admin API token may send (default 100)')
    .option('--api-burst <n>', 'requests a non-admin token may send at once above its rate (default 200)')
    .option('--api-max-inflight <n>', 'requests one API token may have in flight, watches aside (default 32)')
    .option('--api-max-watches <n>', 'watches one API token may hold open (default 128)')
    .option('--max-mqtt-payload <bytes>', 'largest MQTT payload the broker accepts, e.g. 4Mi (default 4Mi)')
    .option('--store <url>', 'where the state is kept: sqlite (default, in the data dir) or etcd://HOST:PORT[,HOST:PORT...][/PREFIX], etcds://... with --etcd-ca')
    .option('--etcd-ca <file>', "the CA (PEM) of the etcd members' certificates, for an etcds:// --store")
    .option('--etcd-cert <file>', 'a client certificate (PEM) for etcd, with --etcd-key')
    .option('--etcd-key <file>', "the client certificate's key (PEM)")
    .option('--bump-revision <n>', 'after restoring the store from a backup: move its revision forward by N (e.g. 1000000), past every generation agents have seen')
    .option('--pod-security-default <policy>', 'Pod Security of namespaces without labels: a level, or enforce=L,warn=L,audit=L (default baseline; kube-system privileged)')
    .option('--pod-security-exempt <list>', 'who Pod Security exempts: admin, token:ID, namespace:NAME, comma-separated, or none (default admin)')
    .option('--audit-level <level>', 'the API audit log: Metadata (every request, no bodies) or None (default Metadata)')
    .option('--audit-log-path <file>', 'where the audit log goes (default DATA_DIR/audit.log)')
    .option('--audit-log-maxsize <MiB>', 'rotate the audit log at this size (default 20)')
    .option('--audit-log-maxbackup <n>', 'rotated audit logs kept (default 5)')
    .option('--tls-san <name>', 'extra DNS name or IP address for the hub TLS certificate (repeatable)', (v: string, all: string[] = []) => [...all, v])
    .action(async (flags: HubFlags) => {
      const logger = createRootLogger();
      const dataDir = flags.dataDir ?? join(io.homedir, '.drover', 'hub');
      const stopping = interrupted(io);
      const hub = await startHub(flags, dataDir, io, logger);
      io.out(`Drover hub is running.\n  Status page: ${hub.httpUrl}/\n  API:         ${hub.httpUrl}\n  MQTT:        ${hub.mqttUrl}\n${hub.mqttPlainUrl ? `  MQTT plain:  ${hub.mqttPlainUrl} (loopback)\n` : ''}  CA:          ${hub.caCertPath} (sha256 ${hub.caFingerprint})\n  Data:        ${dataDir}\n`);
      io.out(cliConfigLines(hub));
      io.out('Add a node: drover token create, then on the device: drover agent --hub MQTT_URL --token TOKEN\n');
      const signal = await stopping;
      logger.info({ signal }, 'stopping the hub');
      await hub.close();
      await flushLogger(logger);
    });
}

/**
 * Pod -> ContainerSpec: how one container of a pod is described to the runtime. Pure functions; the
 * filesystem side of volumes (creating emptyDirs, checking hostPaths) is in pod-volumes.ts.
 */
import { createHash } from 'node:crypto';
import { join, normalize } from 'node:path';
import type { Container, Pod, Volume } from '../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../protocol/pod-helpers.js';
import { cpuToMillis, memoryToBytes } from '../../protocol/quantity.js';
import type { ContainerSecurity, ContainerSpec, Mount, PortMapping, PullPolicy } from '../../runtime-adapters/runtime.js';
import { podNamespace, podUid } from '../desired-set.js';
import type { PodSandbox } from '../pod-sandbox.js';
import type { PodServiceEnv } from '../pod-services.js';
import { ContainerConfigError } from '../errors.js';
import { claimVolumeOf, claimVolumePath } from './claim-volumes.js';
import { noClaimVolumes, type ClaimVolumeLookup } from '../local-volumes.js';
import { configValue, isValidEnvName, missingKeyMessage, noConfig, requireConfig, type ConfigLookup } from './pod-config.js';

export interface PodRuntimeContext {
  nodeName: string;
  dataDir: string;
  /** The ConfigMaps/Secrets of the desired set (env valueFrom, envFrom); none when absent. */
  config?: ConfigLookup;
  /** The node's Services as environment variables (service links); none when absent. */
  serviceEnv?: PodServiceEnv;
  /** The claims of the desired set and their volumes (persistentVolumeClaim volumes); none when absent. */
  claims?: ClaimVolumeLookup;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** Kubernetes' default grace period when neither the pod nor its deletion names one. */
export const DEFAULT_GRACE_SECONDS = 30;

export function restartPolicyOf(pod: Pod): RestartPolicy {
  return pod.spec.restartPolicy ?? 'Always';
}

/** Whether a container that exited with `exitCode` is started again under `policy`. */
export function shouldRestart(policy: RestartPolicy, exitCode: number | undefined): boolean {
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return exitCode !== 0;
  return false;
}

/** Grace period for stopping the pod's containers: the deletion's, else the spec's, else 30 s. */
export function graceSecondsOf(pod: Pod | undefined): number {
  return pod?.metadata.deletionGracePeriodSeconds ?? pod?.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
}

/** imagePullPolicy as Kubernetes defaults it: Always for :latest or no tag, else IfNotPresent. */
export function pullPolicyOf(container: Container): PullPolicy {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  return imageTag(container.image) === 'latest' ? 'Always' : 'IfNotPresent';
}

function imageTag(image: string): string | undefined {
  if (image.includes('@')) return undefined; // pinned by digest
  const lastSlash = image.lastIndexOf('/');
  const lastColon = image.lastIndexOf(':');
  return lastColon > lastSlash ? image.slice(lastColon + 1) : 'latest';
}

/** `drover_<ns>_<pod>_<container>_<uid first 8>`: stable, unique per pod instance. */
export function containerRuntimeName(pod: Pod, containerName: string): string {
  return `drover_${podNamespace(pod)}_${pod.metadata.name}_${containerName}_${podUid(pod).replace(/-/g, '').slice(0, 8)}`;
}

/** Where an emptyDir, configMap or secret volume of a pod lives on the host. */
export function emptyDirPath(dataDir: string, uid: string, volumeName: string): string {
  return join(podDir(dataDir, uid), 'volumes', volumeName);
}

/** The pod's own directory under the data dir (its emptyDirs); removed with the pod. */
export function podDir(dataDir: string, uid: string): string {
  return join(dataDir, 'pods', uid);
}

/** The volumes a container mounts, in mount order. Throws ContainerConfigError for an unknown one. */
export function mountedVolumes(pod: Pod, container: Container): Volume[] {
  const byName = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  return (container.volumeMounts ?? []).map((m) => {
    const v = byName.get(m.name);
    if (!v) throw new ContainerConfigError(`container ${container.name}: volumeMount "${m.name}" names no volume of the pod`);
    return v;
  });
}

/**
 * A hash of everything in the pod that shapes this container: if it changes, the running container is
 * replaced. Canonical JSON (sorted keys), so a round trip through the hub does not change it.
 */
export function containerSpecHash(pod: Pod, container: Container): string {
  const mounted = new Set((container.volumeMounts ?? []).map((m) => m.name));
  const volumes = (pod.spec.volumes ?? []).filter((v) => mounted.has(v.name));
  const shaping = {
    container,
    hostNetwork: pod.spec.hostNetwork ?? false,
    volumes,
    // only when set, so that the hash of a pod without one (every container made before) stays what it was
    ...(pod.spec.securityContext ? { podSecurityContext: pod.spec.securityContext } : {}),
  };
  return sha256(canonicalJson(shaping)).slice(0, 16);
}

/**
 * Build the runtime's ContainerSpec, in the pod's sandbox when it has one (its network, its resolv.conf
 * mount, its id as a label). Throws ContainerConfigError for what the agent cannot honour yet.
 */
export function toContainerSpec(pod: Pod, container: Container, ctx: PodRuntimeContext, sandbox?: PodSandbox): ContainerSpec {
  const hostNetwork = pod.spec.hostNetwork ?? false;
  const env = buildEnv(pod, container, ctx.config ?? noConfig, ctx.serviceEnv?.envFor(pod) ?? []);
  const expand = (s: string): string => expandReferences(s, env);
  const mounts = buildMounts(pod, container, ctx);
  const own = new Set(mounts.map((m) => m.containerPath));
  // a volume the pod mounts at the same path (its own /etc/resolv.conf) wins over the sandbox's
  for (const m of sandbox?.mounts ?? []) if (!own.has(m.containerPath)) mounts.push(m);
  const labels = runtimeLabels(pod, container, ctx.nodeName);
  if (sandbox?.id) labels[RUNTIME_LABELS.sandbox] = sandbox.id;
  const spec: ContainerSpec = {
    name: containerRuntimeName(pod, container.name),
    image: container.image,
    env,
    ports: buildPorts(container, hostNetwork),
    mounts,
    labels,
    hostNetwork,
  };
  if (sandbox?.network && !hostNetwork) spec.network = sandbox.network;
  if (container.command) spec.command = container.command.map(expand);
  if (container.args) spec.args = container.args.map(expand);
  if (container.workingDir) spec.workingDir = container.workingDir;
  const limits = container.resources?.limits ?? {};
  if (limits.cpu !== undefined) spec.cpuLimitMillis = cpuToMillis(limits.cpu);
  if (limits.memory !== undefined) spec.memoryLimitBytes = memoryToBytes(limits.memory);
  const security = containerSecurity(pod, container, ctx.dataDir);
  if (security) spec.security = security;
  return spec;
}

/** Where a Localhost seccomp profile lives on the node (as the kubelet's <root>/seccomp). */
export function seccompProfileDir(dataDir: string): string {
  return join(dataDir, 'seccomp');
}

/**
 * The pod's and the container's securityContext merged as the kubelet merges them (the container's fields win;
 * fsGroup and supplementalGroups are the pod's); undefined when neither sets anything.
 */
export function containerSecurity(pod: Pod, container: Container, dataDir: string): ContainerSecurity | undefined {
  const psc = pod.spec.securityContext ?? {};
  const sc = container.securityContext ?? {};
  const out: ContainerSecurity = {};
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
  const runAsNonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
  if (runAsUser !== undefined) out.runAsUser = runAsUser;
  if (runAsGroup !== undefined) out.runAsGroup = runAsGroup;
  if (runAsNonRoot !== undefined) out.runAsNonRoot = runAsNonRoot;
  const groups = [...(psc.fsGroup !== undefined ? [psc.fsGroup] : []), ...(psc.supplementalGroups ?? [])];
  if (groups.length) out.supplementalGroups = [...new Set(groups)];
  if (sc.privileged !== undefined) out.privileged = sc.privileged;
  if (sc.allowPrivilegeEscalation !== undefined) out.allowPrivilegeEscalation = sc.allowPrivilegeEscalation;
  if (sc.readOnlyRootFilesystem !== undefined) out.readOnlyRootFilesystem = sc.readOnlyRootFilesystem;
  if (sc.capabilities) out.capabilities = { ...(sc.capabilities.add ? { add: sc.capabilities.add } : {}), ...(sc.capabilities.drop ? { drop: sc.capabilities.drop } : {}) };
  const seccomp = sc.seccompProfile ?? psc.seccompProfile;
  if (seccomp?.type === 'Localhost') out.seccomp = { type: 'Localhost', path: join(seccompProfileDir(dataDir), normalize(seccomp.localhostProfile ?? '')) };
  else if (seccomp) out.seccomp = { type: seccomp.type };
  return Object.keys(out).length ? out : undefined;
}

export function runtimeLabels(pod: Pod, container: Container, nodeName: string): Record<string, string> {
  return {
    [RUNTIME_LABELS.managed]: 'true',
    [RUNTIME_LABELS.node]: nodeName,
    [RUNTIME_LABELS.podUid]: podUid(pod),
    [RUNTIME_LABELS.podName]: pod.metadata.name,
    [RUNTIME_LABELS.podNamespace]: podNamespace(pod),
    [RUNTIME_LABELS.container]: container.name,
    [RUNTIME_LABELS.specHash]: containerSpecHash(pod, container),
  };
}

/**
 * The container's environment, in the kubelet's order: the service variables (which `$(VAR)` may name), each
 * envFrom source (keys that are not valid variable names are skipped), then env (later entries win, so the
 * container's own variables win over the service ones). A missing ConfigMap/Secret or key that is not optional
 * throws ContainerConfigError with the kubelet's message. Values are read when the container is created: a
 * changed value (or a Service made later) reaches the environment only when the container restarts.
 */
function buildEnv(pod: Pod, container: Container, config: ConfigLookup, services: ReadonlyArray<{ name: string; value: string }>): Record<string, string> {
  const namespace = podNamespace(pod);
  const env: Record<string, string> = {};
  for (const v of services) env[v.name] = v.value;
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef
      ? { kind: 'ConfigMap' as const, ...source.configMapRef }
      : source.secretRef
        ? { kind: 'Secret' as const, ...source.secretRef }
        : undefined;
    if (!ref) throw new ContainerConfigError(`container ${container.name}: an envFrom entry names neither configMapRef nor secretRef`);
    const found = requireConfig(config, ref.kind, namespace, ref.name, ref.optional);
    for (const key of Object.keys(found?.data ?? {}).sort()) {
      const name = `${source.prefix ?? ''}${key}`;
      if (isValidEnvName(name)) env[name] = configValue(found!, key)!.toString('utf8');
    }
  }
  for (const e of container.env ?? []) {
    if (!e.valueFrom) {
      // Kubernetes expands $(VAR) against the variables defined before this one.
      env[e.name] = expandReferences(e.value ?? '', env);
      continue;
    }
    const selector = e.valueFrom.configMapKeyRef
      ? { kind: 'ConfigMap' as const, ...e.valueFrom.configMapKeyRef }
      : e.valueFrom.secretKeyRef
        ? { kind: 'Secret' as const, ...e.valueFrom.secretKeyRef }
        : undefined;
    if (!selector) {
      throw new ContainerConfigError(`container ${container.name}: env ${e.name}: fieldRef and resourceFieldRef are not supported by this agent yet`);
    }
    const found = requireConfig(config, selector.kind, namespace, selector.name ?? '', selector.optional);
    if (!found) continue;
    const value = configValue(found, selector.key);
    if (value === undefined) {
      if (selector.optional) continue;
      throw new ContainerConfigError(missingKeyMessage(found, selector.key));
    }
    env[e.name] = value.toString('utf8');
  }
  return env;
}

/**
 * Kubernetes' $(VAR) expansion: a reference to a defined variable is replaced, `$$` is a literal `$`,
 * anything else is left as written.
 */
export function expandReferences(input: string, vars: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      const name = close < 0 ? undefined : input.slice(i + 2, close);
      if (name !== undefined && Object.prototype.hasOwnProperty.call(vars, name)) {
        out += vars[name];
        i = close;
      } else {
        out += ch;
      }
    } else {
      out += ch;
    }
  }
  return out;
}

function buildPorts(container: Container, hostNetwork: boolean): PortMapping[] {
  return (container.ports ?? []).map((p) => {
    if (hostNetwork && p.hostPort !== undefined && p.hostPort !== p.containerPort) {
      throw new ContainerConfigError(
        `container ${container.name}: with hostNetwork, hostPort ${p.hostPort} must equal containerPort ${p.containerPort}`,
      );
    }
    const mapping: PortMapping = { containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' };
    if (p.hostPort !== undefined) mapping.hostPort = p.hostPort;
    if (p.hostIP !== undefined) mapping.hostIP = p.hostIP;
    return mapping;
  });
}

function buildMounts(pod: Pod, container: Container, ctx: PodRuntimeContext): Mount[] {
  const volumes = mountedVolumes(pod, container);
  return (container.volumeMounts ?? []).map((m, i) => {
    const v = volumes[i]!;
    let hostPath: string;
    if (v.hostPath) hostPath = v.hostPath.path;
    else if (v.emptyDir || v.configMap || v.secret) hostPath = emptyDirPath(ctx.dataDir, podUid(pod), v.name);
    else if (v.persistentVolumeClaim) hostPath = claimVolumePath(claimVolumeOf(v, podNamespace(pod), ctx.claims ?? noClaimVolumes), ctx.dataDir);
    else throw new ContainerConfigError(`container ${container.name}: volume "${v.name}": this kind of volume is not supported by this agent`);
    if (m.subPath) hostPath = join(hostPath, checkedSubPath(container, m.subPath));
    // ConfigMap and Secret volumes are always read-only in the container, as in Kubernetes.
    const readOnly = v.configMap || v.secret || v.persistentVolumeClaim?.readOnly ? true : m.readOnly ?? false;
    return { hostPath, containerPath: m.mountPath, readOnly };
  });
}

function checkedSubPath(container: Container, subPath: string): string {
  const n = normalize(subPath);
  if (n.startsWith('/') || n === '..' || n.startsWith('../')) {
    throw new ContainerConfigError(`container ${container.name}: subPath "${subPath}" must be a relative path inside the volume`);
  }
  return n;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

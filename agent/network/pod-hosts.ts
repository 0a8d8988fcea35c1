/**
 * A pod's hostname and its /etc/hosts, as the kubelet makes them for pods on the pod network
 * (pkg/kubelet: GeneratePodHostNameAndDomain, managedHostsFileContent): the hostname is `spec.hostname`,
 * else the pod's name cut to 63 characters; with `spec.subdomain` the pod's domain is
 * `<subdomain>.<ns>.svc.<cluster domain>` and /etc/hosts names the FQDN first. The file is written into the
 * pod's directory (<data dir>/pods/<uid>/hosts) and bind-mounted at /etc/hosts in every container of the
 * pod (a container that mounts /etc/hosts itself keeps its own). Host-network pods keep the node's.
 */
import { join } from 'node:path';
import type { Pod } from '../../protocol/objects/pod.js';
import type { Mount } from '../../runtime-adapters/runtime.js';
import { podNamespace } from '../desired-set.js';
import { writePodFile } from './pod-file.js';

export interface PodHostname {
  hostname: string;
  /** `<subdomain>.<ns>.svc.<cluster domain>` when the pod names a subdomain. */
  domain?: string;
}

/** The kubelet's hostname of a pod: spec.hostname, else its name cut to 63 characters (no trailing "-" or "."). */
export function podHostname(pod: Pod, clusterDomain: string): PodHostname {
  const hostname = pod.spec.hostname ?? pod.metadata.name.slice(0, 63).replace(/[-.]+$/, '');
  const subdomain = pod.spec.subdomain;
  return subdomain ? { hostname, domain: `${subdomain}.${podNamespace(pod)}.svc.${clusterDomain}` } : { hostname };
}

/** The kubelet's managed hosts file for a pod with these IPs. Pure. */
export function renderPodHosts(podIPs: readonly string[], host: PodHostname): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  for (const ip of podIPs) lines.push(host.domain ? `${ip}\t${host.hostname}.${host.domain}\t${host.hostname}` : `${ip}\t${host.hostname}`);
  return `${lines.join('\n')}\n`;
}

export function hostsPath(dataDir: string, uid: string): string {
  return join(dataDir, 'pods', uid, 'hosts');
}

/** Write the pod's hosts file (pod-file.ts: when changed, in place); the mount its containers get. */
export async function writePodHosts(dataDir: string, uid: string, text: string): Promise<Mount> {
  const path = hostsPath(dataDir, uid);
  await writePodFile(path, text);
  return { hostPath: path, containerPath: '/etc/hosts', readOnly: false };
}

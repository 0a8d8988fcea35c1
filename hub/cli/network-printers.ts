/**
 * How Services and EndpointSlices print, as kubectl prints them: `get services` NAME TYPE CLUSTER-IP
 * EXTERNAL-IP PORT(S) AGE (wide: SELECTOR), `get endpointslices` NAME ADDRESSTYPE PORTS ENDPOINTS AGE,
 * and `describe service` with its endpoints.
 */
import type { EndpointSlice } from '../../protocol/objects/endpoint-slice.js';
import type { Endpoints } from '../../protocol/objects/endpoints.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import type { Service } from '../../protocol/objects/service.js';
import { LABEL_SERVICE_NAME } from '../../protocol/well-known.js';
import { eventsSection, shownAnnotations, Text, type EventObject } from './describe-text.js';

export interface NetworkColumn {
  header: string;
  value: (obj: KubeObject) => string;
  wideOnly?: boolean;
}

/** "80:30080/TCP,53/UDP" as kubectl's PORT(S). */
export function servicePorts(s: Service): string {
  const ports = (s.spec.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`);
  return ports.join(',') || '<none>';
}

const selector = (s: Service): string =>
  Object.entries(s.spec.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '<none>';

/** EXTERNAL-IP: <pending> for a LoadBalancer (none is coming on a fleet), <none> otherwise. */
const externalIP = (s: Service): string => ((s.spec.type ?? 'ClusterIP') === 'LoadBalancer' ? '<pending>' : '<none>');

export const SERVICE_COLUMNS: NetworkColumn[] = [
  { header: 'TYPE', value: (o) => (o as Service).spec.type ?? 'ClusterIP' },
  { header: 'CLUSTER-IP', value: (o) => (o as Service).spec.clusterIP || '<none>' },
  { header: 'EXTERNAL-IP', value: (o) => externalIP(o as Service) },
  { header: 'PORT(S)', value: (o) => servicePorts(o as Service) },
];
export const SERVICE_WIDE: NetworkColumn[] = [{ header: 'SELECTOR', value: (o) => selector(o as Service), wideOnly: true }];

/** kubectl's ENDPOINTS: the first three addresses, then "+ N more...". */
export function sliceEndpoints(s: EndpointSlice): string {
  const ips = s.endpoints.filter((e) => e.conditions?.ready !== false).map((e) => e.addresses[0]!);
  if (ips.length === 0) return '<unset>';
  return ips.length > 3 ? `${ips.slice(0, 3).join(',')} + ${ips.length - 3} more...` : ips.join(',');
}

export const ENDPOINTSLICE_COLUMNS: NetworkColumn[] = [
  { header: 'ADDRESSTYPE', value: (o) => (o as EndpointSlice).addressType },
  { header: 'PORTS', value: (o) => ((o as EndpointSlice).ports ?? []).map((p) => String(p.port ?? '<unset>')).join(',') || '<unset>' },
  { header: 'ENDPOINTS', value: (o) => sliceEndpoints(o as EndpointSlice) },
];

/** kubectl's ENDPOINTS of a v1 Endpoints: ip:port of the ready addresses, the first three, then "+ N more...". */
export function endpointsList(e: Endpoints): string {
  const all: string[] = [];
  for (const subset of e.subsets ?? []) {
    const ports = subset.ports?.length ? subset.ports.map((p) => p.port) : [undefined];
    for (const a of subset.addresses ?? []) for (const port of ports) all.push(port === undefined ? a.ip : `${a.ip}:${port}`);
  }
  if (all.length === 0) return '<none>';
  return all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',');
}

export const ENDPOINTS_COLUMNS: NetworkColumn[] = [{ header: 'ENDPOINTS', value: (o) => endpointsList(o as Endpoints) }];

/** `describe service`, as kubectl writes it. */
export function describeService(s: Service, slices: EndpointSlice[], events: EventObject[], now: number): string {
  const t = new Text();
  const own = slices.filter((x) => x.metadata.labels?.[LABEL_SERVICE_NAME] === s.metadata.name);
  const ready = own.flatMap((x) => x.endpoints.filter((e) => e.conditions?.ready !== false).map((e) => e.addresses[0]!));
  t.field('Name', s.metadata.name)
    .field('Namespace', s.metadata.namespace)
    .map('Labels', s.metadata.labels)
    .map('Annotations', shownAnnotations(s))
    .field('Selector', selector(s))
    .field('Type', s.spec.type ?? 'ClusterIP')
    .field('IP Family Policy', 'SingleStack')
    .field('IP Families', 'IPv4')
    .field('IP', s.spec.clusterIP || '<none>')
    .field('IPs', s.spec.clusterIP || '<none>');
  for (const p of s.spec.ports ?? []) {
    const name = p.name || '<unset>';
    t.field('Port', `${name}  ${p.port}/${p.protocol ?? 'TCP'}`);
    t.field('TargetPort', `${p.targetPort ?? p.port}/${p.protocol ?? 'TCP'}`);
    if (p.nodePort) t.field('NodePort', `${name}  ${p.nodePort}/${p.protocol ?? 'TCP'}`);
    const portNumbers = new Set(own.flatMap((x) => (x.ports ?? []).filter((q) => (q.name ?? '') === (p.name ?? '')).map((q) => q.port)));
    const endpoints = ready.flatMap((ip) => [...portNumbers].map((n) => `${ip}:${n}`));
    t.field('Endpoints', endpoints.join(',') || '<none>');
  }
  t.field('Session Affinity', s.spec.sessionAffinity ?? 'None');
  if ((s.spec.type ?? 'ClusterIP') !== 'ClusterIP') t.field('External Traffic Policy', s.spec.externalTrafficPolicy ?? 'Cluster');
  eventsSection(t, events, now);
  return t.toString();
}

/**
 * How Services and EndpointSlices print, as kubectl prints them: `get services` NAME TYPE CLUSTER-IP
 * EXTERNAL-IP PORT(S) AGE (wide: SELECTOR), `get endpointslices` NAME ADDRESSTYPE PORTS ENDPOINTS AGE,
 * and `describe service` with its endpoints.
 */
import type { EndpointSlice } from '../../protocol/objects/endpoint-slice.js';
import type { Service } from '../../protocol/objects/service.js';
import { serviceSelector as selector } from '../../protocol/table-columns.js';
import { LABEL_SERVICE_NAME } from '../../protocol/well-known.js';
import { eventsSection, shownAnnotations, Text, type EventObject } from './describe-text.js';

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

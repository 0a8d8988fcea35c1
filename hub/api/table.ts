/**
 * Server-side printing, as kube-apiserver does it: a GET or LIST asking for
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (what kubectl sends for `get`) is answered with
 * a meta.k8s.io/v1 Table whose columns are the ones `drover get` prints (protocol/table-columns.ts;
 * wide-only columns have priority 1, so `kubectl get -o wide` shows them). Each row carries the object
 * as `includeObject` asks: its metadata as a PartialObjectMetadata (the default), the whole object
 * (`Object`), or nothing (`None`).
 */
import type { KubeObject } from '../../protocol/objects/meta.js';
import { shortAge } from '../../protocol/pod-display.js';
import { columnsFor, eventTime, sortForDisplay, type EventLike } from '../../protocol/table-columns.js';
import { apiErrors } from './status.js';

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** Does this Accept header ask for a Table (meta.k8s.io v1 or v1beta1) before plain JSON? */
export function wantsTable(accept: string | undefined): 'v1' | 'v1beta1' | undefined {
  for (const part of (accept ?? '').split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    if (type !== 'application/json') continue;
    const p = Object.fromEntries(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (p.as === undefined) return undefined; // plain JSON comes first
    if (p.as === 'Table' && p.g === 'meta.k8s.io' && (p.v === 'v1' || p.v === 'v1beta1')) return p.v;
  }
  return undefined;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw apiErrors.badRequest(`includeObject must be None, Metadata or Object, not "${value}"`);
}

interface TableOptions {
  version: 'v1' | 'v1beta1';
  includeObject: IncludeObject;
  now: number;
  listMeta?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
}

/** kubectl upper-cases a column's name for its header; the names are kubectl's own headers in title case. */
const columnName = (header: string): string => header.toLowerCase().replace(/(^|[\s-])\w/g, (m) => m.toUpperCase()).replace(/\(S\)$/, '(s)');

/** A Table of `objects` (all of `kind`). */
export function toTable(kind: string, objects: KubeObject[], opts: TableOptions): Record<string, unknown> {
  const columns = columnsFor(kind);
  const first = kind === 'Event' ? { name: 'Last Seen', description: 'When the event was last seen' } : { name: 'Name', description: 'Name must be unique within a namespace.', format: 'name' };
  const columnDefinitions = [
    { name: first.name, type: 'string', format: first.format ?? '', description: first.description, priority: 0 },
    ...columns.map((c) => ({ name: columnName(c.header), type: 'string', format: '', description: `${c.header} as kubectl prints it`, priority: c.wideOnly ? 1 : 0 })),
  ];
  const rows = sortForDisplay(kind, objects).map((o) => {
    const lead = kind === 'Event' ? shortAge(eventTime(o as EventLike & KubeObject), opts.now) : o.metadata.name;
    const row: Record<string, unknown> = { cells: [lead, ...columns.map((c) => c.value(o, opts.now))] };
    if (opts.includeObject === 'Object') row.object = o;
    else if (opts.includeObject === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${opts.version}`, metadata: o.metadata };
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.version}`,
    metadata: { ...(opts.listMeta ?? {}) },
    columnDefinitions,
    rows,
  };
}

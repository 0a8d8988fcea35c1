/**
 * kubectl-like output: aligned tables per kind (nodes, pods, namespaces, events, deployments,
 * replicasets, daemonsets, generic NAME AGE), and -o wide|json|yaml|name.
 */
import { stringify } from 'yaml';
import { kindByName } from '../../protocol/kinds.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import { shortAge } from '../../protocol/pod-display.js';
import { columnsFor, eventTime, sortForDisplay, type EventLike } from '../../protocol/table-columns.js';
import { UsageError } from './errors.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '') return 'table';
  if (['wide', 'json', 'yaml', 'name'].includes(value)) return value as OutputFormat;
  throw new UsageError(`unknown output format "${value}": use one of json, yaml, wide, name`);
}

/** Columns padded to their widest cell, three spaces apart, as kubectl prints them. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

export function qualifiedName(obj: KubeObject): string {
  const info = kindByName(obj.kind);
  const resource = info ? (info.group ? `${info.singular}.${info.group}` : info.singular) : obj.kind.toLowerCase();
  return `${resource}/${obj.metadata.name}`;
}

export interface TableOptions {
  wide: boolean;
  withNamespace: boolean;
  /** Prefix names with their kind (pod/web), as kubectl does when several kinds are printed. */
  withKind: boolean;
  noHeaders?: boolean;
  now: number;
  /** Label keys shown as extra columns (kubectl's -L/--label-columns): header the key's last segment, uppercased. */
  labelColumns?: readonly string[];
}

/** Rows (and headers) for objects of one kind. */
export function tableFor(kind: string, objects: KubeObject[], opts: TableOptions): { headers: string[]; rows: string[][] } {
  const cols = columnsFor(kind).filter((c) => opts.wide || !c.wideOnly);
  const headers: string[] = [];
  if (opts.withNamespace) headers.push('NAMESPACE');
  if (kind === 'Event') headers.push('LAST SEEN');
  else headers.push('NAME');
  headers.push(...cols.map((c) => c.header));
  const labelKeys = opts.labelColumns ?? [];
  headers.push(...labelKeys.map((k) => (k.split('/').pop() ?? k).toUpperCase()));
  const rows = sortForDisplay(kind, objects).map((o) => {
    const row: string[] = [];
    if (opts.withNamespace) row.push(o.metadata.namespace ?? '');
    if (kind === 'Event') row.push(shortAge(eventTime(o as EventLike & KubeObject), opts.now));
    else row.push(opts.withKind ? qualifiedName(o) : o.metadata.name);
    row.push(...cols.map((c) => c.value(o, opts.now)));
    row.push(...labelKeys.map((k) => o.metadata.labels?.[k] ?? ''));
    return row;
  });
  return { headers, rows };
}

export function listDocument(items: KubeObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
}

/** The objects without metadata.managedFields (what -o json|yaml prints unless --show-managed-fields, as kubectl). */
export function withoutManagedFields<T extends KubeObject>(objects: T[]): T[] {
  return objects.map((o) => {
    if (o.metadata?.managedFields === undefined) return o;
    const { managedFields: _managedFields, ...metadata } = o.metadata;
    return { ...o, metadata } as T;
  });
}

/** Serialise for -o json|yaml. */
export function serialize(doc: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(doc, null, 4)}\n` : stringify(doc, { lineWidth: 0 });
}

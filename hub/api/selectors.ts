/**
 * `?labelSelector=` and `?fieldSelector=` of list and watch requests. Label selectors use protocol's
 * parser; field selectors support the fields the store indexes (=, == and !=).
 */
import { matchesSelector, parseLabelSelector, type LabelSelector } from '../../protocol/labels.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import { apiErrors } from './status.js';

export const SUPPORTED_FIELDS = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase'] as const;
type SupportedField = (typeof SUPPORTED_FIELDS)[number];

export interface FieldRequirement {
  field: SupportedField;
  operator: '=' | '!=';
  value: string;
}

export interface Selectors {
  labels: LabelSelector | undefined;
  fields: FieldRequirement[];
}

export function parseFieldSelector(text: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw apiErrors.badRequest(`invalid field selector "${part}": use field=value or field!=value`);
    const field = m[1]!;
    if (!(SUPPORTED_FIELDS as readonly string[]).includes(field)) {
      throw apiErrors.badRequest(`field label not supported: ${field} (supported: ${SUPPORTED_FIELDS.join(', ')})`);
    }
    out.push({ field: field as SupportedField, operator: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() });
  }
  return out;
}

export function parseSelectors(params: URLSearchParams): Selectors {
  const labelText = params.get('labelSelector');
  const fieldText = params.get('fieldSelector');
  let labels: LabelSelector | undefined;
  if (labelText) {
    try {
      labels = parseLabelSelector(labelText);
    } catch (err) {
      throw apiErrors.badRequest(`unable to parse labelSelector: ${(err as Error).message}`);
    }
  }
  return { labels, fields: fieldText ? parseFieldSelector(fieldText) : [] };
}

/** The equality requirements, in the store's ListOptions.fieldSelector shape. */
export function equalityFields(fields: FieldRequirement[]): Record<string, string> | undefined {
  const eq = fields.filter((f) => f.operator === '=');
  if (eq.length === 0) return undefined;
  return Object.fromEntries(eq.map((f) => [f.field, f.value]));
}

export function fieldValue(obj: KubeObject, field: SupportedField): string {
  switch (field) {
    case 'metadata.name':
      return obj.metadata.name;
    case 'metadata.namespace':
      return obj.metadata.namespace ?? '';
    case 'spec.nodeName':
      return String((obj.spec as { nodeName?: unknown } | undefined)?.nodeName ?? '');
    case 'status.phase':
      return String((obj.status as { phase?: unknown } | undefined)?.phase ?? '');
  }
}

export function matchesSelectors(obj: KubeObject, selectors: Selectors): boolean {
  if (!matchesSelector(obj.metadata.labels, selectors.labels)) return false;
  return selectors.fields.every((f) => (fieldValue(obj, f.field) === f.value) === (f.operator === '='));
}

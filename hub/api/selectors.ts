/**
 * `?labelSelector=` and `?fieldSelector=` of list and watch requests. Label selectors use protocol's
 * parser; field selectors support the fields the store can filter on (hub/store/field-selector.ts: =, == and !=).
 */
import { matchesSelector, parseLabelSelector, type LabelSelector } from '../../protocol/labels.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import { readField, SUPPORTED_FIELD_SELECTORS } from '../store/field-selector.js';
import type { StoredObject } from '../store/store.js';
import { apiErrors } from './status.js';

export const SUPPORTED_FIELDS: readonly string[] = SUPPORTED_FIELD_SELECTORS;

export interface FieldRequirement {
  field: string;
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
    if (!SUPPORTED_FIELDS.includes(field)) {
      throw apiErrors.badRequest(`field label not supported: ${field} (supported: ${SUPPORTED_FIELDS.join(', ')})`);
    }
    out.push({ field, operator: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() });
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

export function fieldValue(obj: KubeObject, field: string): string {
  return readField(obj as StoredObject, field) ?? '';
}

export function matchesSelectors(obj: KubeObject, selectors: Selectors): boolean {
  if (!matchesSelector(obj.metadata.labels, selectors.labels)) return false;
  return selectors.fields.every((f) => (fieldValue(obj, f.field) === f.value) === (f.operator === '='));
}

/**
 * How ConfigMaps and Secrets print: `get` columns (configmaps NAME DATA AGE, secrets NAME TYPE DATA AGE)
 * and `describe` text. A Secret's values are never printed: describe shows each key's size in bytes,
 * as kubectl does.
 */
import type { KubeObject } from '../../protocol/objects/meta.js';

type ConfigObject = KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string>; type?: string };

export function isConfigKind(obj: KubeObject): obj is KubeObject & { kind: 'ConfigMap' | 'Secret' } {
  return obj.kind === 'ConfigMap' || obj.kind === 'Secret';
}

function field(key: string, value: string): string {
  return `${`${key}:`.padEnd(14)}${value}\n`;
}

function mapText(values: Record<string, string> | undefined): string {
  const entries = Object.entries(values ?? {});
  if (entries.length === 0) return '<none>';
  return entries.map(([k, v], i) => `${i ? ' '.repeat(14) : ''}${k}=${v}`).join('\n');
}

/**
 * kubectl's describe of a ConfigMap (values shown) or Secret (sizes only), without the Events section;
 * `hiddenAnnotations` are left out (the last-applied one).
 */
export function describeConfigObject(obj: KubeObject, hiddenAnnotations: string[] = []): string {
  const c = obj as ConfigObject;
  const annotations = Object.fromEntries(Object.entries(obj.metadata.annotations ?? {}).filter(([k]) => !hiddenAnnotations.includes(k)));
  let out = field('Name', obj.metadata.name) + field('Namespace', obj.metadata.namespace ?? 'default');
  out += field('Labels', mapText(obj.metadata.labels)) + field('Annotations', mapText(annotations));
  if (obj.kind === 'Secret') {
    out += `\nType:  ${c.type ?? 'Opaque'}\n\nData\n====\n`;
    const keys = Object.keys(c.data ?? {}).sort();
    const width = Math.max(0, ...keys.map((k) => k.length + 1));
    for (const k of keys) out += `${`${k}:`.padEnd(width)}  ${Buffer.from(c.data![k]!, 'base64').length} bytes\n`;
    return out;
  }
  out += '\nData\n====\n';
  for (const [k, v] of Object.entries(c.data ?? {}).sort(([a], [b]) => a.localeCompare(b))) out += `${k}:\n----\n${v}\n\n`;
  out += '\nBinaryData\n====\n';
  for (const [k, v] of Object.entries(c.binaryData ?? {}).sort(([a], [b]) => a.localeCompare(b))) out += `${k}: ${Buffer.from(v, 'base64').length} bytes\n`;
  return out;
}


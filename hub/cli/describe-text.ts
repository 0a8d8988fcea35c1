/** Building blocks of `drover describe`: aligned "Key:  value" text, annotations, the Events section, an object's events. */
import { resolveResource } from '../../protocol/kinds.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import { shortAge } from '../../protocol/pod-display.js';
import { LAST_APPLIED_ANNOTATION } from '../../protocol/well-known.js';
import { resourcePath, type ApiClient, type ObjectList } from './client.js';
import { eventTime } from '../../protocol/table-columns.js';
import { renderTable } from './printers.js';

export interface EventObject extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  involvedObject: { kind?: string; name?: string; namespace?: string; uid?: string };
  source?: { component?: string; host?: string };
  reportingComponent?: string;
}

/** Lines of "Key:  value", values aligned. */
export class Text {
  private lines: string[] = [];
  private static width(key: string): number {
    return Math.max(16, key.length + 2);
  }
  field(key: string, value: string | number | undefined | null, indent = 0): this {
    this.lines.push(`${' '.repeat(indent)}${`${key}:`.padEnd(Text.width(key))}${value ?? '<none>'}`);
    return this;
  }
  line(text = ''): this {
    this.lines.push(text);
    return this;
  }
  block(text: string, indent: number): this {
    for (const l of text.replace(/\n$/, '').split('\n')) this.lines.push(`${' '.repeat(indent)}${l}`.trimEnd());
    return this;
  }
  map(key: string, values: Record<string, string> | undefined, indent = 0): this {
    const entries = Object.entries(values ?? {});
    if (entries.length === 0) return this.field(key, '<none>', indent);
    entries.forEach(([k, v], i) => {
      if (i === 0) this.field(key, `${k}=${v}`, indent);
      else this.lines.push(`${' '.repeat(indent + Text.width(key))}${k}=${v}`);
    });
    return this;
  }
  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** kubectl leaves the (long) last-applied annotation out of describe. */
export function shownAnnotations(obj: KubeObject): Record<string, string> | undefined {
  const { [LAST_APPLIED_ANNOTATION]: _last, ...rest } = obj.metadata.annotations ?? {};
  return rest;
}

export function eventsSection(t: Text, events: EventObject[], now: number): void {
  if (events.length === 0) {
    t.field('Events', '<none>');
    return;
  }
  t.line('Events:');
  const sorted = [...events].sort((a, b) => Date.parse(eventTime(a) ?? '') - Date.parse(eventTime(b) ?? ''));
  t.block(
    renderTable(
      ['Type', 'Reason', 'Age', 'From', 'Message'],
      [
        ['----', '------', '----', '----', '-------'],
        ...sorted.map((e) => [
          e.type ?? 'Normal',
          e.reason ?? '',
          `${shortAge(eventTime(e), now)}${e.count && e.count > 1 ? ` (x${e.count})` : ''}`,
          e.source?.component ?? e.reportingComponent ?? '',
          (e.message ?? '').replace(/\s+/g, ' '),
        ]),
      ],
    ),
    2,
  );
}

/** Events about one object. The API filters events by name/namespace only, so match the kind here. */
export async function eventsFor(client: ApiClient, obj: KubeObject): Promise<EventObject[]> {
  const info = resolveResource('events');
  if (!info) return [];
  const list = await client.request<ObjectList<EventObject>>('GET', resourcePath(info, undefined), {
    query: obj.metadata.namespace ? { fieldSelector: `metadata.namespace=${obj.metadata.namespace}` } : undefined,
  });
  return list.items.filter(
    (e) =>
      e.involvedObject?.name === obj.metadata.name &&
      (e.involvedObject.kind === undefined || e.involvedObject.kind === obj.kind) &&
      (e.involvedObject.uid === undefined || obj.metadata.uid === undefined || e.involvedObject.uid === obj.metadata.uid),
  );
}

/** `drover get KIND[,KIND] [NAME...] [-n NS] [-A] [-l SELECTOR] [-L KEY,...] [-o json|yaml|wide|name] [-w]` */
import type { Command } from 'commander';
import type { KindInfo } from '../../../protocol/kinds.js';
import type { KubeObject } from '../../../protocol/objects/meta.js';
import { resourcePath, type ObjectList } from '../client.js';
import type { CliIO } from '../io.js';
import { listDocument, parseOutputFormat, qualifiedName, renderTable, serialize, tableFor, withoutManagedFields, type OutputFormat } from '../printers.js';
import { clientFor, withConnectionOptions, namespaceFor, resolveKinds, splitKindName } from '../shared.js';

interface GetFlags {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  output?: string;
  watch?: boolean;
  noHeaders?: boolean;
  showManagedFields?: boolean;
  labelColumns?: string[];
}

interface Group {
  info: KindInfo;
  objects: KubeObject[];
  listed: boolean;
  resourceVersion?: string;
}

function printGroups(io: CliIO, groups: Group[], format: OutputFormat, flags: GetFlags, now: number, single: boolean): void {
  const listed = groups.flatMap((g) => g.objects);
  const all = flags.showManagedFields ? listed : withoutManagedFields(listed);
  if (format === 'json' || format === 'yaml') {
    io.out(serialize(single && all.length === 1 ? all[0] : listDocument(all), format));
    return;
  }
  if (format === 'name') {
    for (const o of all) io.out(`${qualifiedName(o)}\n`);
    return;
  }
  const withKind = groups.length > 1;
  let first = true;
  for (const g of groups) {
    if (g.objects.length === 0) continue;
    const { headers, rows } = tableFor(g.info.kind, g.objects, {
      wide: format === 'wide',
      withNamespace: Boolean(flags.allNamespaces) && g.info.namespaced,
      withKind,
      now,
      ...(flags.labelColumns ? { labelColumns: flags.labelColumns } : {}),
    });
    if (!first) io.out('\n');
    first = false;
    const text = renderTable(headers, rows);
    io.out(flags.noHeaders ? text.split('\n').slice(1).join('\n') : text);
  }
  if (all.length === 0 && groups.every((g) => g.listed)) {
    const ns = flags.allNamespaces || groups.every((g) => !g.info.namespaced) ? '' : ` in ${flags.namespace ?? 'default'} namespace`;
    io.err(`No resources found${ns}.\n`);
  }
}

export function registerGetCommand(program: Command, io: CliIO): void {
  withConnectionOptions(program.command('get'))
    .description('list objects, or show some by name (nodes, pods, namespaces, events, deployments, ...)')
    .argument('<kinds>', 'kind or kinds, comma-separated (pods, po, nodes, ns, ...), or KIND/NAME')
    .argument('[names...]', 'object names')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
    .option('-L, --label-columns <keys>', 'label keys shown as columns, comma-separated (repeatable), e.g. -L site,drover.io/agent-version',
      (value: string, prev: string[] | undefined) => [...(prev ?? []), ...value.split(',').map((k) => k.trim()).filter(Boolean)])
    .option('--field-selector <selector>', 'field selector (metadata.name, metadata.namespace, spec.nodeName, status.phase)')
    .option('-o, --output <format>', 'json, yaml, wide or name')
    .option('--no-headers', 'print tables without the header row')
    .option('-w, --watch', 'after listing, watch for changes')
    .option('--show-managed-fields', 'keep metadata.managedFields in -o json|yaml (left out by default, as kubectl)')
    .action(async (kindsArg: string, names: string[], flags: GetFlags, cmd: Command) => {
      const format = parseOutputFormat(flags.output);
      const client = clientFor(cmd, io);
      const now = Date.now();
      // KIND/NAME arguments ("pod/web node/n1")
      const slashed = [kindsArg, ...names].map(splitKindName);
      let groups: Group[];
      if (slashed.every((s) => s !== undefined)) {
        groups = [];
        for (const [info, name] of slashed as [KindInfo, string][]) {
          const obj = await client.request<KubeObject>('GET', resourcePath(info, namespaceFor(info, flags.namespace), name));
          const g = groups.find((x) => x.info === info);
          if (g) g.objects.push(obj);
          else groups.push({ info, objects: [obj], listed: false });
        }
        printGroups(io, groups, format, flags, now, slashed.length === 1);
        return;
      }
      const kinds = resolveKinds(kindsArg);
      groups = [];
      for (const info of kinds) {
        if (names.length > 0) {
          const objects: KubeObject[] = [];
          for (const name of names) objects.push(await client.request<KubeObject>('GET', resourcePath(info, namespaceFor(info, flags.namespace), name)));
          groups.push({ info, objects, listed: false });
        } else {
          const ns = flags.allNamespaces ? undefined : namespaceFor(info, flags.namespace);
          const list = await client.request<ObjectList>('GET', resourcePath(info, ns), {
            query: { labelSelector: flags.selector, fieldSelector: flags.fieldSelector },
          });
          groups.push({ info, objects: list.items, listed: true, resourceVersion: list.metadata.resourceVersion });
        }
      }
      printGroups(io, groups, format, flags, now, names.length === 1 && kinds.length === 1);
      if (flags.watch) await watchGroup(io, groups[0]!, kinds.length, names, flags, format, cmd);
    });
}

async function watchGroup(io: CliIO, group: Group, kindCount: number, names: string[], flags: GetFlags, format: OutputFormat, cmd: Command): Promise<void> {
  const client = clientFor(cmd, io);
  const { info } = group;
  const ns = flags.allNamespaces ? undefined : namespaceFor(info, flags.namespace);
  const controller = new AbortController();
  const stop = io.onInterrupt(() => controller.abort());
  const fieldSelector = [flags.fieldSelector, names.length === 1 ? `metadata.name=${names[0]}` : undefined].filter(Boolean).join(',') || undefined;
  try {
    await client.watch(
      resourcePath(info, ns),
      { resourceVersion: group.resourceVersion, labelSelector: flags.selector, fieldSelector },
      (event) => {
        if (event.type === 'ERROR') {
          io.err(`error: watch ended: ${(event.object as unknown as { message?: string }).message ?? 'unknown error'}\n`);
          controller.abort();
          return;
        }
        if (format === 'json' || format === 'yaml') io.out(serialize(flags.showManagedFields ? event.object : withoutManagedFields([event.object])[0], format));
        else if (format === 'name') io.out(`${qualifiedName(event.object)}\n`);
        else {
          const { headers, rows } = tableFor(info.kind, [event.object], {
            wide: format === 'wide',
            withNamespace: Boolean(flags.allNamespaces) && info.namespaced,
            withKind: kindCount > 1,
            now: Date.now(),
            ...(flags.labelColumns ? { labelColumns: flags.labelColumns } : {}),
          });
          io.out(renderTable(headers, rows).split('\n').slice(1).join('\n'));
        }
      },
      controller.signal,
    );
  } finally {
    stop();
  }
}

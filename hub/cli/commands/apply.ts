/**
 * `drover apply -f FILE|DIR|-`: validate every document locally (errors name file, document and
 * field), then create each object or update it with a three-way merge, CAS on the fetched
 * resourceVersion. Prints `pod/web created|configured|unchanged`.
 */
import type { Command } from 'commander';
import { kindByName } from '../../../protocol/kinds.js';
import type { KubeObject } from '../../../protocol/objects/meta.js';
import { isDeepStrictEqual } from 'node:util';
import { mergeForApply, withLastApplied } from '../apply-merge.js';
import { resourcePath, type ApiClient } from '../client.js';
import { ServerError } from '../errors.js';
import type { CliIO } from '../io.js';
import { readManifests } from '../manifests.js';
import { qualifiedName } from '../printers.js';
import { clientFor, withConnectionOptions } from '../shared.js';

const CONFLICT_RETRIES = 3;

/**
 * `defaultNamespace` goes to objects that name none; when `enforce` (it was given with -n), an object
 * naming another one is refused, as kubectl does; a kubeconfig context's namespace is not enforced.
 */
export async function applyObject(client: ApiClient, desired: KubeObject, defaultNamespace: string | undefined, enforce = true): Promise<'created' | 'configured' | 'unchanged'> {
  const info = kindByName(desired.kind)!;
  const obj = structuredClone(desired);
  let namespace: string | undefined;
  if (info.namespaced) {
    namespace = obj.metadata.namespace ?? defaultNamespace ?? 'default';
    if (enforce && defaultNamespace && obj.metadata.namespace && obj.metadata.namespace !== defaultNamespace) {
      throw new ServerError(400, 'BadRequest', `the namespace from the provided object "${obj.metadata.namespace}" does not match the namespace "${defaultNamespace}". You must pass '--namespace=${obj.metadata.namespace}' to perform this operation.`);
    }
    obj.metadata.namespace = namespace;
  }
  if (!obj.metadata.name) {
    await client.request('POST', resourcePath(info, namespace), { body: withLastApplied(obj) });
    return 'created';
  }
  for (let attempt = 0; ; attempt++) {
    const live = await client.getOptional<KubeObject>(resourcePath(info, namespace, obj.metadata.name));
    try {
      if (!live) {
        await client.request('POST', resourcePath(info, namespace), { body: withLastApplied(obj) });
        return 'created';
      }
      const merged = mergeForApply(live, obj);
      if (isDeepStrictEqual(merged, live)) return 'unchanged';
      merged.metadata.resourceVersion = live.metadata.resourceVersion;
      await client.request('PUT', resourcePath(info, namespace, obj.metadata.name), { body: merged });
      return 'configured';
    } catch (err) {
      const retriable = err instanceof ServerError && err.httpStatus === 409 && attempt < CONFLICT_RETRIES;
      if (!retriable) throw err;
    }
  }
}

export function registerApplyCommand(program: Command, io: CliIO): void {
  withConnectionOptions(program.command('apply'))
    .description('create or update objects from YAML/JSON manifests')
    .requiredOption('-f, --filename <file...>', 'manifest file, directory, or - for standard input')
    .option('-n, --namespace <ns>', 'namespace for objects that do not name one')
    .action(async (flags: { filename: string[]; namespace?: string }, cmd: Command) => {
      const objects = await readManifests(flags.filename, io);
      const client = clientFor(cmd, io);
      for (const obj of objects) {
        const result = await applyObject(client, obj, flags.namespace, cmd.getOptionValueSource('namespace') === 'cli');
        io.out(`${qualifiedName(obj)} ${result}\n`);
      }
    });
}

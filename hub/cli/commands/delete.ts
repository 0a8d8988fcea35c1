/**
 * `drover delete KIND NAME [NAME...] | KIND/NAME... | -f FILE [-n NS] [--wait=true] [--timeout 60s]
 * [--grace-period N] [--force]`: prints `pod "web" deleted`, then (by default) waits until each
 * object is gone, as kubectl does; a bound pod goes only once its node has stopped it.
 */
import type { Command } from 'commander';
import { kindByName, type KindInfo } from '../../../protocol/kinds.js';
import type { KubeObject } from '../../../protocol/objects/meta.js';
import { resourcePath, type ApiClient } from '../client.js';
import { TimeoutError, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { readManifests } from '../manifests.js';
import { clientFor, withConnectionOptions, namespaceFor, parseDuration, resolveKinds, sleep, splitKindName } from '../shared.js';

interface DeleteFlags {
  namespace?: string;
  filename?: string[];
  wait: string | boolean;
  timeout: string;
  gracePeriod?: string;
  force?: boolean;
  ignoreNotFound?: boolean;
}

interface Target {
  info: KindInfo;
  namespace: string | undefined;
  name: string;
  /** The uid of the object deleted: an object of the same name with another uid (a StatefulSet's pod made again) is not it. */
  uid?: string;
}

const POLL_MS = 500;

async function waitGone(client: ApiClient, target: Target, deadline: number): Promise<void> {
  const path = resourcePath(target.info, target.namespace, target.name);
  for (;;) {
    const current = await client.getOptional<KubeObject>(path);
    if (current === undefined || (target.uid !== undefined && current.metadata.uid !== target.uid)) return;
    if (Date.now() > deadline) {
      throw new TimeoutError(`timed out waiting for ${target.info.singular} "${target.name}" to be deleted (it is still terminating; see drover describe ${target.info.singular} ${target.name})`);
    }
    await sleep(POLL_MS);
  }
}

function parseWait(value: string | boolean): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`--wait takes true or false, not "${value}"`);
}

export function registerDeleteCommand(program: Command, io: CliIO): void {
  withConnectionOptions(program.command('delete'))
    .description('delete objects by kind and name, or those of a manifest')
    .argument('[kind]', 'kind (pods, nodes, ...) or KIND/NAME')
    .argument('[names...]', 'object names (or more KIND/NAME)')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .option('-f, --filename <file...>', 'delete the objects of these manifests')
    .option('--wait [bool]', 'wait until the objects are gone', 'true')
    .option('--timeout <duration>', 'how long to wait', '60s')
    .option('--grace-period <seconds>', 'seconds a pod gets to stop (0 with --force deletes at once)')
    .option('--force', 'delete at once, without waiting for the node to stop the pod (grace period 0)')
    .option('--ignore-not-found', 'treat a missing object as deleted')
    .action(async (kindArg: string | undefined, names: string[], flags: DeleteFlags, cmd: Command) => {
      const targets: Target[] = [];
      if (flags.filename) {
        for (const obj of await readManifests(flags.filename, io)) {
          const info = kindByName(obj.kind)!;
          targets.push({ info, namespace: namespaceFor(info, obj.metadata.namespace ?? flags.namespace), name: obj.metadata.name });
        }
      }
      if (kindArg !== undefined) {
        const slashed = [kindArg, ...names].map(splitKindName);
        if (slashed.every((s) => s !== undefined)) {
          for (const [info, name] of slashed as [KindInfo, string][]) targets.push({ info, namespace: namespaceFor(info, flags.namespace), name });
        } else {
          const kinds = resolveKinds(kindArg);
          if (kinds.length !== 1) throw new UsageError('delete takes one kind at a time (or KIND/NAME arguments)');
          if (names.length === 0) throw new UsageError(`name the ${kinds[0]!.plural} to delete: drover delete ${kinds[0]!.singular} NAME`);
          for (const name of names) targets.push({ info: kinds[0]!, namespace: namespaceFor(kinds[0]!, flags.namespace), name });
        }
      }
      if (targets.length === 0) throw new UsageError('name what to delete: drover delete KIND NAME, or -f FILE');

      let grace: number | undefined;
      if (flags.gracePeriod !== undefined) {
        grace = Number(flags.gracePeriod);
        if (!Number.isInteger(grace) || grace < 0) throw new UsageError(`--grace-period takes whole seconds, not "${flags.gracePeriod}"`);
      }
      if (flags.force) grace = 0;
      const wait = parseWait(flags.wait);
      const deadline = Date.now() + parseDuration(flags.timeout) * 1000;
      const client = clientFor(cmd, io);

      const deleted: Target[] = [];
      for (const t of targets) {
        const path = resourcePath(t.info, t.namespace, t.name);
        if (flags.ignoreNotFound && (await client.getOptional(path)) === undefined) continue;
        const answer = await client.request<{ metadata?: { uid?: string }; details?: { uid?: string } }>('DELETE', path, {
          query: { gracePeriodSeconds: grace },
          body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}) },
        });
        if (flags.force) io.err('warning: immediate deletion does not wait for the node to confirm that the pod has stopped; its containers may keep running for a while.\n');
        io.out(`${t.info.singular} "${t.name}" deleted\n`);
        const uid = answer?.metadata?.uid ?? answer?.details?.uid;
        deleted.push(uid !== undefined ? { ...t, uid } : t);
      }
      if (wait) for (const t of deleted) await waitGone(client, t, deadline);
    });
}

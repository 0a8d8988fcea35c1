/**
 * `drover set image deployment/NAME CONTAINER=IMAGE [...]` (also daemonset, replicaset; `*=IMAGE`
 * sets every container). Reads the object, changes the images in its pod template and writes it back
 * with its resourceVersion (retrying on a conflict), as kubectl does.
 */
import type { Command } from 'commander';
import type { Container } from '../../../protocol/objects/pod.js';
import { resourcePath } from '../client.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { qualifiedName } from '../printers.js';
import { clientFor, namespaceFor, targetObjects, updateObject, withConnectionOptions } from '../shared.js';
import type { Workload } from '../../../protocol/table-columns.js';

/** "web=nginx:1.27" pairs; "*" means every container. */
export function parseImagePairs(pairs: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    const container = pair.slice(0, i).trim();
    const image = pair.slice(i + 1).trim();
    if (i <= 0 || !container || !image) throw new UsageError(`"${pair}" is not CONTAINER=IMAGE`);
    out.set(container, image);
  }
  return out;
}

/** Apply the images to the containers; returns false when nothing changes. */
function setImages(obj: Workload, images: Map<string, string>): boolean {
  const spec = obj.spec.template.spec;
  const all: Container[] = spec.containers;
  for (const name of images.keys()) {
    if (name !== '*' && !all.some((c) => c.name === name)) {
      throw new UsageError(`unable to find container named "${name}" in ${qualifiedName(obj)} (containers: ${all.map((c) => c.name).join(', ')})`);
    }
  }
  let changed = false;
  for (const c of all) {
    const image = images.get(c.name) ?? images.get('*');
    if (image !== undefined && c.image !== image) {
      c.image = image;
      changed = true;
    }
  }
  return changed;
}

export function registerSetCommand(program: Command, io: CliIO): void {
  const set = program.command('set').description('change fields of workloads (set image)');
  withConnectionOptions(set.command('image'))
    .description('change the container images of a deployment, daemonset or replicaset')
    .argument('<args...>', 'deployment/NAME (or deployment NAME) followed by CONTAINER=IMAGE pairs')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .action(async (args: string[], flags: { namespace?: string }, cmd: Command) => {
      const pairs = args.filter((a) => a.includes('='));
      const refs = args.filter((a) => !a.includes('='));
      if (pairs.length === 0) throw new UsageError('set image: give at least one CONTAINER=IMAGE');
      const images = parseImagePairs(pairs);
      const targets = targetObjects(refs, ['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet'], 'set image');
      const client = clientFor(cmd, io);
      for (const [info, name] of targets) {
        const { obj, changed } = await updateObject<Workload>(client, resourcePath(info, namespaceFor(info, flags.namespace), name), (o) => setImages(o, images));
        // kubectl says nothing about an object whose images were already these
        if (changed) io.out(`${qualifiedName(obj)} image updated\n`);
      }
    });
}

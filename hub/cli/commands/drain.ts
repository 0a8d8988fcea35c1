/**
 * `drover drain NODE [--ignore-daemonsets] [--force] [--grace-period N] [--timeout 5m]`, as kubectl:
 * cordon the node, then evict (delete gracefully) every pod on it, and wait until they are gone.
 * - DaemonSet pods would come straight back: refused unless --ignore-daemonsets, which leaves them.
 * - Pods no controller would replace are refused unless --force (finished pods always go).
 * Prints `evicting pod NS/NAME`, then `pod/NAME evicted` as each one is gone, then `node/NODE drained`.
 * The node stays cordoned whatever happens; `drover uncordon NODE` opens it again.
 */
import { controllerOf } from '../../../protocol/workload-helpers.js';
import type { Command } from 'commander';
import { kindByName } from '../../../protocol/kinds.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { resourcePath, type ApiClient, type ObjectList } from '../client.js';
import { ServerError, TimeoutError, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { clientFor, parseDuration, sleep, withConnectionOptions } from '../shared.js';
import { setUnschedulable } from './cordon.js';

interface DrainFlags {
  ignoreDaemonsets?: boolean;
  force?: boolean;
  gracePeriod: string;
  timeout: string;
}

export const DRAIN_POLL_MS = 500;

const podRef = (pod: Pod) => `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;


function isFinished(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export interface DrainPlan {
  evict: Pod[];
  /** DaemonSet pods left on the node (--ignore-daemonsets). */
  ignored: Pod[];
  /** Pods without a controller that --force lets go. */
  unmanaged: Pod[];
  /** Why the drain cannot go ahead (empty: it can). */
  refusals: string[];
}

/** kubectl's pod filters: what a drain evicts, leaves, or refuses. */
export function planDrain(pods: Pod[], flags: { ignoreDaemonsets?: boolean; force?: boolean }): DrainPlan {
  const plan: DrainPlan = { evict: [], ignored: [], unmanaged: [], refusals: [] };
  const daemonSetPods: Pod[] = [];
  const unmanaged: Pod[] = [];
  for (const pod of pods) {
    const owner = controllerOf(pod);
    if (owner?.kind === 'DaemonSet' && !isFinished(pod)) {
      daemonSetPods.push(pod);
      continue;
    }
    if (!owner && !isFinished(pod)) unmanaged.push(pod);
    plan.evict.push(pod);
  }
  if (daemonSetPods.length > 0) {
    if (flags.ignoreDaemonsets) plan.ignored = daemonSetPods;
    else plan.refusals.push(`cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${daemonSetPods.map(podRef).join(', ')}`);
  }
  if (unmanaged.length > 0) {
    if (flags.force) plan.unmanaged = unmanaged;
    else plan.refusals.push(`cannot delete Pods declare no controller (use --force to override): ${unmanaged.map(podRef).join(', ')}`);
  }
  return plan;
}

function podPath(pod: Pod): string {
  return resourcePath(kindByName('Pod')!, pod.metadata.namespace ?? 'default', pod.metadata.name);
}

/** Gone: no pod of that name, or one with another uid (a replacement of the same name). */
async function isGone(client: ApiClient, pod: Pod): Promise<boolean> {
  const current = await client.getOptional<Pod>(podPath(pod));
  return current === undefined || current.metadata.uid !== pod.metadata.uid;
}

async function evict(client: ApiClient, pod: Pod, grace: number | undefined): Promise<void> {
  try {
    await client.request('DELETE', podPath(pod), {
      query: { gracePeriodSeconds: grace },
      body: {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        ...(pod.metadata.uid ? { preconditions: { uid: pod.metadata.uid } } : {}),
        ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
      },
    });
  } catch (err) {
    // Already gone (or replaced by a pod of the same name): nothing to evict.
    if (err instanceof ServerError && (err.httpStatus === 404 || err.httpStatus === 409)) return;
    throw err;
  }
}

function parseGrace(text: string): number | undefined {
  const n = Number(text);
  if (!Number.isInteger(n) || n < -1) throw new UsageError(`--grace-period takes whole seconds (-1: each pod's own), not "${text}"`);
  return n < 0 ? undefined : n;
}

export function registerDrainCommand(program: Command, io: CliIO): void {
  withConnectionOptions(program.command('drain'))
    .description('cordon a node and evict its pods, to take it down for maintenance')
    .argument('<node>', 'node name')
    .option('--ignore-daemonsets', 'leave DaemonSet-managed pods on the node')
    .option('--force', 'also evict pods that no controller manages (they are not recreated)')
    .option('--grace-period <seconds>', "seconds each pod gets to stop (-1: the pod's own terminationGracePeriodSeconds)", '-1')
    .option('--timeout <duration>', 'give up after this long (0: wait as long as it takes)', '0s')
    .action(async (name: string, flags: DrainFlags, cmd: Command) => {
      const grace = parseGrace(flags.gracePeriod);
      const timeoutSeconds = parseDuration(flags.timeout);
      const deadline = timeoutSeconds > 0 ? Date.now() + timeoutSeconds * 1000 : Number.POSITIVE_INFINITY;
      const client = clientFor(cmd, io);

      await setUnschedulable(client, io, name, true);
      const pods = await client.request<ObjectList<Pod>>('GET', resourcePath(kindByName('Pod')!, undefined), {
        query: { fieldSelector: `spec.nodeName=${name}` },
      });
      const plan = planDrain(pods.items, flags);
      if (plan.refusals.length > 0) {
        throw new UsageError(`unable to drain node "${name}": ${plan.refusals.join('; ')}. The node stays cordoned.`);
      }
      if (plan.ignored.length > 0) io.err(`Warning: ignoring DaemonSet-managed Pods: ${plan.ignored.map(podRef).join(', ')}\n`);
      if (plan.unmanaged.length > 0) io.err(`Warning: deleting Pods that declare no controller: ${plan.unmanaged.map(podRef).join(', ')}\n`);

      for (const pod of plan.evict) {
        io.out(`evicting pod ${podRef(pod)}\n`);
        await evict(client, pod, grace);
      }
      let remaining = plan.evict;
      while (remaining.length > 0) {
        const still: Pod[] = [];
        for (const pod of remaining) {
          if (await isGone(client, pod)) io.out(`pod/${pod.metadata.name} evicted\n`);
          else still.push(pod);
        }
        remaining = still;
        if (remaining.length === 0) break;
        if (Date.now() >= deadline) {
          throw new TimeoutError(
            `drain of node "${name}" timed out after ${flags.timeout}; pods still terminating: ${remaining.map(podRef).join(', ')} ` +
              '(a pod on an unreachable node goes only once the node is back or deleted). The node stays cordoned.',
          );
        }
        await sleep(DRAIN_POLL_MS);
      }
      io.out(`node/${name} drained\n`);
    });
}

/**
 * `drover drain NODE [--ignore-daemonsets] [--force] [--grace-period N] [--timeout 5m] [--disable-eviction]`, as
 * kubectl: cordon the node, then evict every pod on it through the Eviction API (policy/v1, so PodDisruptionBudgets
 * hold: a 429 is retried every 5 s, as kubectl does, until the budget allows it or --timeout), and wait until they
 * are gone. --disable-eviction deletes the pods instead, past any budget.
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
  disableEviction?: boolean;
  ignoreDaemonsets?: boolean;
  force?: boolean;
  gracePeriod: string;
  timeout: string;
}

export const DRAIN_POLL_MS = 500;
/** How long kubectl waits before it asks again for an eviction a disruption budget refused. */
export const EVICTION_RETRY_MS = 5000;

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

/** Evicted (or deleted), already gone, or refused for now by a disruption budget (429: try again later). */
type EvictOutcome = 'requested' | 'gone' | 'budget';

async function evict(client: ApiClient, pod: Pod, grace: number | undefined, useEviction: boolean): Promise<EvictOutcome> {
  const deleteOptions = {
    kind: 'DeleteOptions',
    apiVersion: 'v1',
    ...(pod.metadata.uid ? { preconditions: { uid: pod.metadata.uid } } : {}),
    ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
  };
  try {
    if (useEviction) {
      await client.request('POST', `${podPath(pod)}/eviction`, {
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace ?? 'default' }, deleteOptions },
      });
    } else {
      await client.request('DELETE', podPath(pod), { query: { gracePeriodSeconds: grace }, body: deleteOptions });
    }
    return 'requested';
  } catch (err) {
    // Already gone (or replaced by a pod of the same name): nothing to evict.
    if (err instanceof ServerError && (err.httpStatus === 404 || err.httpStatus === 409)) return 'gone';
    if (useEviction && err instanceof ServerError && err.httpStatus === 429) return 'budget';
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
    .option('--disable-eviction', 'delete the pods instead of evicting them: PodDisruptionBudgets are not checked')
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

      // evictions a budget refuses are asked again every 5 s, as kubectl does; the others are waited for until gone
      let refused: Pod[] = [];
      let nextTry = 0;
      const ask = async (list: Pod[]): Promise<Pod[]> => {
        const again: Pod[] = [];
        for (const pod of list) {
          const outcome = await evict(client, pod, grace, !flags.disableEviction);
          if (outcome === 'budget') {
            io.err(`error when evicting pods/"${pod.metadata.name}" -n "${pod.metadata.namespace ?? 'default'}" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.\n`);
            again.push(pod);
          } else {
            io.out(`evicting pod ${podRef(pod)}\n`);
          }
        }
        nextTry = Date.now() + EVICTION_RETRY_MS;
        return again;
      };
      refused = await ask(plan.evict);
      let remaining = plan.evict;
      while (remaining.length > 0) {
        if (refused.length > 0 && Date.now() >= nextTry) refused = await ask(refused);
        const still: Pod[] = [];
        for (const pod of remaining) {
          if (!refused.includes(pod) && (await isGone(client, pod))) io.out(`pod/${pod.metadata.name} evicted\n`);
          else still.push(pod);
        }
        remaining = still;
        if (remaining.length === 0) break;
        if (Date.now() >= deadline) {
          const blocked = refused.length > 0 ? `; evictions refused by a PodDisruptionBudget: ${refused.map(podRef).join(', ')}` : '';
          throw new TimeoutError(
            `drain of node "${name}" timed out after ${flags.timeout}; pods still terminating: ${remaining.filter((p) => !refused.includes(p)).map(podRef).join(', ') || 'none'}${blocked} ` +
              '(a pod on an unreachable node goes only once the node is back or deleted). The node stays cordoned.',
          );
        }
        await sleep(DRAIN_POLL_MS);
      }
      io.out(`node/${name} drained\n`);
    });
}

/**
 * `drover rollout status|history|undo|restart|pause|resume deployment/NAME` (status, history, undo and
 * restart also for statefulsets and daemonsets), kubectl's way: status watches the
 * object and prints each new state until done (exit 0) or failed (progress deadline, --timeout: exit 1);
 * undo copies an old ReplicaSet's template into the Deployment (an old ControllerRevision's into the
 * StatefulSet or DaemonSet) on the client side; restart sets the template annotation
 * kubectl.kubernetes.io/restartedAt; pause/resume flip spec.paused.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { KindInfo } from '../../../protocol/kinds.js';
import type { KubeObject } from '../../../protocol/objects/meta.js';
import type { DaemonSet, Deployment } from '../../../protocol/objects/workloads.js';
import { resourcePath, type ApiClient } from '../client.js';
import { RolloutFailedError, TimeoutError, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { qualifiedName, renderTable } from '../printers.js';
import { daemonSetRolloutStatus, deploymentRolloutStatus, statefulSetRolloutStatus, type RolloutState } from '../rollout-status.js';
import type { ControllerRevision, StatefulSet } from '../../../protocol/objects/stateful-set.js';
import { clientFor, namespaceFor, parseDuration, targetObjects, updateObject, withConnectionOptions } from '../shared.js';
import { controllerRevisionsOf, replicaSetsOf } from '../workloads.js';
import { revisionHolds, revisionOf, runsTemplate, templateOfRevision, templateWithoutLabel } from '../../../protocol/workload-helpers.js';
import { CHANGE_CAUSE_ANNOTATION, POD_TEMPLATE_HASH_LABEL, RESTARTED_AT_ANNOTATION } from '../../../protocol/well-known.js';
import { kubeTimestamp } from '../../../protocol/time.js';

interface NsFlag {
  namespace?: string;
}

function evaluate(obj: KubeObject): RolloutState {
  if (obj.kind === 'DaemonSet') return daemonSetRolloutStatus(obj as DaemonSet);
  if (obj.kind === 'StatefulSet') return statefulSetRolloutStatus(obj as StatefulSet);
  return deploymentRolloutStatus(obj as Deployment);
}

/** Print each new state until the rollout is done; watch the object between states. */
async function waitForRollout(io: CliIO, client: ApiClient, info: KindInfo, namespace: string | undefined, name: string, timeoutMs: number, watch: boolean): Promise<void> {
  const path = resourcePath(info, namespace, name);
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
  let last = '';
  const show = (obj: KubeObject): boolean => {
    const state = evaluate(obj);
    if (state.message !== last) io.out(`${state.message}\n`);
    last = state.message;
    return state.done;
  };
  let obj = await client.request<KubeObject>('GET', path);
  if (show(obj) || !watch) return;
  const interrupted = new AbortController();
  const stopInterrupt = io.onInterrupt(() => interrupted.abort());
  try {
    for (;;) {
      if (Date.now() >= deadline) throw new TimeoutError(`timed out waiting for the rollout of ${qualifiedName(obj)}`);
      const round = new AbortController();
      const onInterrupt = () => round.abort();
      interrupted.signal.addEventListener('abort', onInterrupt);
      const timer = deadline === Infinity ? undefined : setTimeout(() => round.abort(), deadline - Date.now());
      let done = false;
      try {
        await client.watch<KubeObject>(
          resourcePath(info, namespace),
          { fieldSelector: `metadata.name=${name}`, resourceVersion: obj.metadata.resourceVersion },
          (event) => {
            if (event.type === 'ERROR') return round.abort(); // e.g. 410 Gone: read the object again
            if (event.type === 'DELETED') throw new RolloutFailedError(`${qualifiedName(event.object)} was deleted while waiting for its rollout`);
            obj = event.object;
            if (show(obj)) {
              done = true;
              round.abort();
            }
          },
          round.signal,
        );
      } finally {
        if (timer) clearTimeout(timer);
        interrupted.signal.removeEventListener('abort', onInterrupt);
      }
      if (done) return;
      if (interrupted.signal.aborted) return;
      // the watch ended (server closed it, ERROR, or the deadline): look again before watching anew
      obj = await client.request<KubeObject>('GET', path);
      if (show(obj)) return;
    }
  } finally {
    stopInterrupt();
  }
}

async function history(io: CliIO, client: ApiClient, d: Deployment, revision: number | undefined): Promise<void> {
  const rss = await replicaSetsOf(client, d);
  if (revision !== undefined) {
    const rs = rss.find((r) => revisionOf(r) === revision);
    if (!rs) throw new UsageError(`unable to find the specified revision ${revision} of ${qualifiedName(d)}`);
    io.out(`${qualifiedName(d)} with revision #${revision}\nPod Template:\n`);
    io.out(stringify(templateWithoutLabel(rs.spec.template, POD_TEMPLATE_HASH_LABEL), { lineWidth: 0 }).replace(/^/gm, '  '));
    return;
  }
  io.out(`${qualifiedName(d)}\n`);
  const rows = rss.filter((rs) => revisionOf(rs) > 0).map((rs) => [String(revisionOf(rs)), rs.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION] ?? '<none>']);
  io.out(renderTable(['REVISION', 'CHANGE-CAUSE'], rows));
  io.out('\n');
}

/** kubectl's history of a StatefulSet or DaemonSet: its ControllerRevisions. */
async function revisionHistory(io: CliIO, client: ApiClient, owner: StatefulSet | DaemonSet, revision: number | undefined): Promise<void> {
  const revs = await controllerRevisionsOf(client, owner);
  if (revision !== undefined) {
    const rev = revs.find((r) => r.revision === revision);
    if (!rev) throw new UsageError(`unable to find the specified revision ${revision} of ${qualifiedName(owner)}`);
    io.out(`${qualifiedName(owner)} with revision #${revision}\nPod Template:\n`);
    io.out(stringify(templateOfRevision(rev), { lineWidth: 0 }).replace(/^/gm, '  '));
    return;
  }
  io.out(`${qualifiedName(owner)}\n`);
  const rows = revs.map((r) => [String(r.revision), r.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION] ?? '<none>']);
  io.out(renderTable(['REVISION', 'CHANGE-CAUSE'], rows));
  io.out('\n');
}

/** kubectl's StatefulSet and DaemonSet rollback: the chosen ControllerRevision's template becomes the object's. */
async function undoFromRevisions(client: ApiClient, path: string, toRevision: number): Promise<string> {
  const owner = await client.request<StatefulSet | DaemonSet>('GET', path);
  const revs = await controllerRevisionsOf(client, owner);
  if (revs.length === 0) throw new UsageError(`no rollout history found for ${qualifiedName(owner)}`);
  let target: ControllerRevision | undefined;
  if (toRevision > 0) {
    target = revs.find((r) => r.revision === toRevision);
    if (!target) throw new UsageError(`unable to find specified revision ${toRevision} in history`);
  } else {
    target = revs.length > 1 ? revs[revs.length - 2] : undefined;
    if (!target) throw new UsageError(`no rollout history found for ${qualifiedName(owner)}: there is no previous revision`);
  }
  const chosen = target;
  const result = await updateObject<StatefulSet | DaemonSet>(client, path, (cur) => {
    if (revisionHolds(chosen, cur.spec.template)) return false;
    cur.spec.template = templateOfRevision(chosen);
    return true;
  });
  return result.changed ? 'rolled back' : `skipped rollback (current template already matches revision ${chosen.revision})`;
}

function refusePaused(d: Deployment): void {
  if (d.spec.paused) {
    throw new UsageError(`you cannot rollback a paused deployment; resume it first with 'drover rollout resume ${qualifiedName(d)}' and try again`);
  }
}

/** kubectl's client-side undo: the chosen revision's template (without pod-template-hash) becomes the Deployment's. */
async function undo(client: ApiClient, path: string, toRevision: number): Promise<string> {
  const d = await client.request<Deployment>('GET', path);
  refusePaused(d);
  const rss = await replicaSetsOf(client, d);
  if (rss.length === 0) throw new UsageError(`no rollout history found for ${qualifiedName(d)}`);
  let target;
  if (toRevision > 0) {
    target = rss.find((rs) => revisionOf(rs) === toRevision);
    if (!target) throw new UsageError(`unable to find specified revision ${toRevision} in history`);
  } else {
    const current = Math.max(...rss.map(revisionOf));
    target = rss.filter((rs) => revisionOf(rs) < current).sort((a, b) => revisionOf(b) - revisionOf(a))[0];
    if (!target) throw new UsageError(`no rollout history found for ${qualifiedName(d)}: there is no previous revision`);
  }
  const chosen = target;
  const result = await updateObject<Deployment>(client, path, (cur) => {
    refusePaused(cur);
    if (runsTemplate(chosen, cur)) return false;
    cur.spec.template = templateWithoutLabel(chosen.spec.template, POD_TEMPLATE_HASH_LABEL);
    return true;
  });
  return result.changed ? 'rolled back' : `skipped rollback (current template already matches revision ${revisionOf(chosen)})`;
}

export function registerRolloutCommand(program: Command, io: CliIO): void {
  const rollout = program.command('rollout').description('manage the rollout of deployments and daemonsets');

  withConnectionOptions(rollout.command('status'))
    .description('watch a rollout until it is done (exit 0) or fails (exit 1)')
    .argument('<objects...>', 'deployment/NAME, daemonset/NAME or statefulset/NAME')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .option('--timeout <duration>', 'give up after this long (e.g. 5m; 0 = wait forever)', '0')
    .option('-w, --watch', 'watch until the rollout is done (default)', true)
    .option('--no-watch', 'print the current state once and exit')
    .action(async (args: string[], flags: NsFlag & { timeout: string; watch: boolean }, cmd: Command) => {
      const timeoutMs = parseDuration(flags.timeout) * 1000;
      const client = clientFor(cmd, io);
      for (const [info, name] of targetObjects(args, ['Deployment', 'DaemonSet', 'StatefulSet'], 'rollout status')) {
        await waitForRollout(io, client, info, namespaceFor(info, flags.namespace), name, timeoutMs, flags.watch);
      }
    });

  withConnectionOptions(rollout.command('history'))
    .description("list a deployment's revisions (from its ReplicaSets), a statefulset's or daemonset's (its ControllerRevisions)")
    .argument('<objects...>', 'deployment/NAME, statefulset/NAME or daemonset/NAME')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .option('--revision <n>', 'show the pod template of this revision')
    .action(async (args: string[], flags: NsFlag & { revision?: string }, cmd: Command) => {
      const revision = flags.revision === undefined ? undefined : Number(flags.revision);
      if (revision !== undefined && (!Number.isInteger(revision) || revision < 1)) throw new UsageError(`--revision must be a positive integer, not "${flags.revision}"`);
      const client = clientFor(cmd, io);
      for (const [info, name] of targetObjects(args, ['Deployment', 'StatefulSet', 'DaemonSet'], 'rollout history')) {
        const obj = await client.request<Deployment | StatefulSet | DaemonSet>('GET', resourcePath(info, namespaceFor(info, flags.namespace), name));
        if (obj.kind === 'Deployment') await history(io, client, obj as Deployment, revision);
        else await revisionHistory(io, client, obj as StatefulSet | DaemonSet, revision);
      }
    });

  withConnectionOptions(rollout.command('undo'))
    .description('roll a deployment, statefulset or daemonset back to its previous revision, or to --to-revision')
    .argument('<objects...>', 'deployment/NAME, statefulset/NAME or daemonset/NAME')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .option('--to-revision <n>', 'the revision to go back to (default: the previous one)', '0')
    .action(async (args: string[], flags: NsFlag & { toRevision: string }, cmd: Command) => {
      const to = Number(flags.toRevision);
      if (!Number.isInteger(to) || to < 0) throw new UsageError(`--to-revision must be a non-negative integer, not "${flags.toRevision}"`);
      const client = clientFor(cmd, io);
      for (const [info, name] of targetObjects(args, ['Deployment', 'StatefulSet', 'DaemonSet'], 'rollout undo')) {
        const path = resourcePath(info, namespaceFor(info, flags.namespace), name);
        const message = info.kind === 'Deployment' ? await undo(client, path, to) : await undoFromRevisions(client, path, to);
        io.out(`${qualifiedName({ apiVersion: info.apiVersion, kind: info.kind, metadata: { name } })} ${message}\n`);
      }
    });

  withConnectionOptions(rollout.command('restart'))
    .description('restart every pod of a deployment, daemonset or statefulset by a new rollout')
    .argument('<objects...>', 'deployment/NAME, daemonset/NAME or statefulset/NAME')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
    .action(async (args: string[], flags: NsFlag, cmd: Command) => {
      const client = clientFor(cmd, io);
      for (const [info, name] of targetObjects(args, ['Deployment', 'DaemonSet', 'StatefulSet'], 'rollout restart')) {
        const { obj } = await updateObject<Deployment | DaemonSet | StatefulSet>(client, resourcePath(info, namespaceFor(info, flags.namespace), name), (o) => {
          if (o.kind === 'Deployment' && (o as Deployment).spec.paused) {
            throw new UsageError(`can't restart paused deployment (run 'drover rollout resume ${qualifiedName(o)}' first)`);
          }
          const meta = (o.spec.template.metadata ??= {});
          meta.annotations = { ...meta.annotations, [RESTARTED_AT_ANNOTATION]: kubeTimestamp(Date.now()) };
          return true;
        });
        io.out(`${qualifiedName(obj)} restarted\n`);
      }
    });

  for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
    withConnectionOptions(rollout.command(verb))
      .description(paused ? 'stop a deployment from rolling out template changes' : 'let a paused deployment roll out again')
      .argument('<objects...>', 'deployment/NAME')
      .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")')
      .action(async (args: string[], flags: NsFlag, cmd: Command) => {
        const client = clientFor(cmd, io);
        for (const [info, name] of targetObjects(args, ['Deployment'], `rollout ${verb}`)) {
          const { obj, changed } = await updateObject<Deployment>(client, resourcePath(info, namespaceFor(info, flags.namespace), name), (d) => {
            if (Boolean(d.spec.paused) === paused) return false;
            if (paused) d.spec.paused = true;
            else delete d.spec.paused;
            return true;
          });
          if (!changed) throw new UsageError(`${info.plural}.${info.group} "${name}" is ${paused ? 'already paused' : 'not paused'}`);
          io.out(`${qualifiedName(obj)} ${paused ? 'paused' : 'resumed'}\n`);
        }
      });
  }
}

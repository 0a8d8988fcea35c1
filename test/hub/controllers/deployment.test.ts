import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment, Event, Pod, ReplicaSet } from '../../../protocol/index.js';
import { createDeploymentController } from '../../../hub/controllers/deployment.js';
import { REVISION_ANNOTATION } from '../../../protocol/well-known.js';
import { createReplicaSetController } from '../../../hub/controllers/replicaset.js';
import type { WatchEvent } from '../../../hub/store/store.js';
import { deployment, finishTerminating, harness, isActive, isReadyPod, makeReady, node, podsIn, settle, template, until, type Harness } from './workload-support.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

async function start(prefix: string): Promise<Harness> {
  const harnessed = await harness(prefix);
  await harnessed.store.create(node('wl-node-a'));
  await harnessed.run(createReplicaSetController, createDeploymentController);
  return harnessed;
}

const getDeploy = async (hh: Harness, name: string): Promise<Deployment> =>
  (await hh.store.get<Deployment>({ kind: 'Deployment', namespace: 'default', name }))!;

async function replicaSets(hh: Harness, name: string): Promise<ReplicaSet[]> {
  return (await hh.store.list<ReplicaSet>('ReplicaSet', { namespace: 'default' })).items.filter((rs) =>
    rs.metadata.ownerReferences?.some((r) => r.kind === 'Deployment' && r.name === name),
  );
}

async function update(hh: Harness, name: string, change: (d: Deployment) => Deployment): Promise<void> {
  const d = await getDeploy(hh, name);
  await hh.store.update<Deployment>(change(d));
}

const withImage = (image: string) => (d: Deployment): Deployment => ({
  ...d,
  spec: { ...d.spec, template: { ...d.spec.template, spec: { ...d.spec.template.spec, containers: [{ name: 'web', image }] } } },
});

function isComplete(d: Deployment): boolean {
  const want = d.spec.replicas ?? 1;
  const s = d.status ?? {};
  return s.observedGeneration === d.metadata.generation && s.updatedReplicas === want && s.replicas === want && s.availableReplicas === want;
}

/**
 * Play the agents: one step at a time, let the controllers settle, then make one unready pod ready
 * and finish the pods that are terminating, until the Deployment is complete.
 */
async function drive(hh: Harness, name: string, maxSteps = 60): Promise<number> {
  for (let step = 0; step < maxSteps; step++) {
    await settle(hh.store, 150);
    const pods = await podsIn(hh.store, 'default', { app: name });
    const finished = await finishTerminating(hh);
    const unready = pods.find((p) => isActive(p) && !isReadyPod(p));
    if (unready) await makeReady(hh, unready);
    if (!unready && finished === 0 && isComplete(await getDeploy(hh, name)) && pods.every(isActive)) return step;
  }
  throw new Error('rollout did not complete');
}

/** Watch the deployment's pods and check a predicate on the pod set after every single change. */
function watchPods(hh: Harness, name: string, initial: Pod[], fromRevision: number, check: (pods: Pod[]) => string | undefined): { violations: string[]; close(): void } {
  const pods = new Map(initial.map((p) => [p.metadata.name, p]));
  const violations: string[] = [];
  const w = hh.store.watch({ kind: 'Pod', namespace: 'default', fromRevision }, (e: WatchEvent) => {
    const pod = e.object as Pod;
    if (pod.metadata.labels?.app !== name) return;
    if (e.type === 'DELETED') pods.delete(pod.metadata.name);
    else pods.set(pod.metadata.name, pod);
    const problem = check([...pods.values()]);
    if (problem) violations.push(`revision ${e.revision}: ${problem}`);
  });
  return { violations, close: () => w.close() };
}

describe('Deployment controller', () => {
  it('creates a ReplicaSet <deploy>-<pod-template-hash> with revision 1, pods <deploy>-<hash>-<5>, status and events', async () => {
    h = await start('wl-dep-');
    const created = await h.store.create(deployment('wl-nginx', { replicas: 3 }));
    await until('a replica set', async () => (await replicaSets(h!, 'wl-nginx')).length === 1);
    const [rs] = await replicaSets(h, 'wl-nginx');
    const hash = rs!.metadata.labels?.['pod-template-hash'];
    expect(hash).toMatch(/^[a-z0-9]{8,10}$/);
    expect(rs!.metadata.name).toBe(`wl-nginx-${hash}`);
    expect(rs!.metadata.annotations?.[REVISION_ANNOTATION]).toBe('1');
    expect(rs!.spec.selector.matchLabels).toEqual({ app: 'wl-nginx', 'pod-template-hash': hash });
    expect(rs!.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'wl-nginx', uid: created.metadata.uid, controller: true });

    await drive(h, 'wl-nginx');
    const pods = (await podsIn(h.store)).filter(isActive);
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^wl-nginx-${hash}-[a-z0-9]{5}$`));
      expect(p.metadata.labels).toEqual({ app: 'wl-nginx', 'pod-template-hash': hash });
    }
    const d = await getDeploy(h, 'wl-nginx');
    expect(d.metadata.annotations?.[REVISION_ANNOTATION]).toBe('1');
    expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0, observedGeneration: 1 });
    const cond = Object.fromEntries((d.status?.conditions ?? []).map((c) => [c.type, c]));
    expect(cond.Available).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(cond.Progressing).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "wl-nginx-${hash}" has successfully progressed.` });
    const events = (await h.store.list<Event>('Event')).items;
    expect(events.find((e) => e.reason === 'ScalingReplicaSet')).toMatchObject({
      involvedObject: { kind: 'Deployment', name: 'wl-nginx' },
      message: `Scaled up replica set wl-nginx-${hash} to 3`,
    });
    expect(events.filter((e) => e.reason === 'SuccessfulCreate' && e.involvedObject.kind === 'ReplicaSet')).toHaveLength(3);
  });

  it('rolls out a new template never above replicas + maxSurge nor below replicas - maxUnavailable ready', async () => {
    h = await start('wl-dep-');
    const strategy = { type: 'RollingUpdate' as const, rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
    await h.store.create(deployment('wl-roll', { replicas: 4, strategy }));
    await drive(h, 'wl-roll');
    const before = await replicaSets(h, 'wl-roll');
    const revision = await h.store.revision();
    let maxActive = 0;
    let minReady = Infinity;
    const watcher = watchPods(h, 'wl-roll', await podsIn(h.store, 'default', { app: 'wl-roll' }), revision, (pods) => {
      const active = pods.filter(isActive).length;
      const ready = pods.filter(isReadyPod).length;
      maxActive = Math.max(maxActive, active);
      minReady = Math.min(minReady, ready);
      if (active > 5) return `${active} active pods > replicas + maxSurge = 5`;
      if (ready < 3) return `${ready} ready pods < replicas - maxUnavailable = 3`;
      return undefined;
    });
    await update(h, 'wl-roll', withImage('registry.local/nginx:1.27'));
    const steps = await drive(h, 'wl-roll');
    watcher.close();
    expect(watcher.violations).toEqual([]);
    // The bounds were reached, not just respected: the rollout used its surge and its budget.
    expect(maxActive).toBe(5);
    expect(minReady).toBe(3);
    expect(steps).toBeGreaterThan(2);

    const after = await replicaSets(h, 'wl-roll');
    expect(after).toHaveLength(2);
    const oldRs = after.find((r) => r.metadata.name === before[0]!.metadata.name)!;
    const newRs = after.find((r) => r !== oldRs)!;
    expect(oldRs.spec.replicas).toBe(0);
    expect(newRs.spec.replicas).toBe(4);
    expect(newRs.metadata.annotations?.[REVISION_ANNOTATION]).toBe('2');
    expect((await getDeploy(h, 'wl-roll')).metadata.annotations?.[REVISION_ANNOTATION]).toBe('2');
    const pods = (await podsIn(h.store, 'default', { app: 'wl-roll' })).filter(isActive);
    expect(pods.map((p) => p.spec.containers[0]!.image)).toEqual(Array(4).fill('registry.local/nginx:1.27'));
  });

  it('defaults to 25% surge / 25% unavailable (surge rounded up, unavailable down)', async () => {
    h = await start('wl-dep-');
    await h.store.create(deployment('wl-def', { replicas: 3 }));
    await drive(h, 'wl-def');
    const revision = await h.store.revision();
    // 3 replicas: maxSurge ceil(0.75) = 1, maxUnavailable floor(0.75) = 0 -> never fewer than 3 ready, never more than 4.
    const watcher = watchPods(h, 'wl-def', await podsIn(h.store, 'default', { app: 'wl-def' }), revision, (pods) => {
      const active = pods.filter(isActive).length;
      const ready = pods.filter(isReadyPod).length;
      return active > 4 ? `${active} active` : ready < 3 ? `${ready} ready` : undefined;
    });
    await update(h, 'wl-def', withImage('registry.local/nginx:1.27'));
    await drive(h, 'wl-def');
    watcher.close();
    expect(watcher.violations).toEqual([]);
  });

  it('Recreate: scales the old ReplicaSet to 0 and waits until its pods are gone before creating new ones', async () => {
    h = await start('wl-dep-');
    await h.store.create(deployment('wl-rec', { replicas: 2, strategy: { type: 'Recreate' } }));
    await drive(h, 'wl-rec');
    const revision = await h.store.revision();
    const oldImage = 'registry.local/nginx:1.26';
    let sawNoPods = false;
    const watcher = watchPods(h, 'wl-rec', await podsIn(h.store, 'default', { app: 'wl-rec' }), revision, (pods) => {
      if (pods.length === 0) sawNoPods = true;
      const olds = pods.filter((p) => p.spec.containers[0]!.image === oldImage);
      const news = pods.filter((p) => p.spec.containers[0]!.image !== oldImage);
      return olds.length > 0 && news.length > 0 ? `old and new pods together (${olds.length} old, ${news.length} new)` : undefined;
    });
    await update(h, 'wl-rec', withImage('registry.local/nginx:1.27'));
    await until('old pods terminating', async () => (await podsIn(h!.store)).every((p) => p.metadata.deletionTimestamp !== undefined));
    await settle(h.store, 200);
    // Still terminating: nothing new may start.
    expect((await podsIn(h.store)).filter(isActive)).toHaveLength(0);
    await drive(h, 'wl-rec');
    watcher.close();
    expect(watcher.violations).toEqual([]);
    expect(sawNoPods).toBe(true);
    expect((await podsIn(h.store)).filter(isActive).map((p) => p.spec.containers[0]!.image)).toEqual(['registry.local/nginx:1.27', 'registry.local/nginx:1.27']);
  });

  it('undo: restoring an old template (as kubectl writes it back) reuses its ReplicaSet and gives it the next revision', async () => {
    h = await start('wl-dep-');
    await h.store.create(deployment('wl-undo', { replicas: 2 }));
    await drive(h, 'wl-undo');
    const [v1] = await replicaSets(h, 'wl-undo');
    await update(h, 'wl-undo', withImage('registry.local/nginx:1.27'));
    await drive(h, 'wl-undo');
    expect(await replicaSets(h, 'wl-undo')).toHaveLength(2);
    await update(h, 'wl-undo', (d) => {
      const back = withImage('registry.local/nginx:1.26')(d);
      // as kubectl rollout undo writes it back: Go's zero values as `creationTimestamp: null` and `resources: {}`
      const t = back.spec.template;
      const template = { ...t, metadata: { ...t.metadata, creationTimestamp: null }, spec: { ...t.spec, containers: t.spec.containers.map((c) => ({ ...c, resources: {} })) } };
      return { ...back, metadata: { ...back.metadata, annotations: { ...back.metadata.annotations, 'kubernetes.io/change-cause': 'back to 1.26' } }, spec: { ...back.spec, template } } as typeof back;
    });
    await drive(h, 'wl-undo');
    const sets = await replicaSets(h, 'wl-undo');
    expect(sets).toHaveLength(2);
    const reused = sets.find((r) => r.metadata.uid === v1!.metadata.uid)!;
    expect(reused.spec.replicas).toBe(2);
    expect(reused.metadata.annotations?.[REVISION_ANNOTATION]).toBe('3');
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    expect(reused.metadata.annotations?.['kubernetes.io/change-cause']).toBe('back to 1.26');
    expect(sets.find((r) => r !== reused)!.spec.replicas).toBe(0);
    expect((await getDeploy(h, 'wl-undo')).metadata.annotations?.[REVISION_ANNOTATION]).toBe('3');
  });

  it('revisionHistoryLimit: old ReplicaSets with nothing left beyond the limit are deleted, oldest revision first', async () => {
    h = await start('wl-dep-');
    await h.store.create(deployment('wl-hist', { replicas: 1, revisionHistoryLimit: 1 }));
    await drive(h, 'wl-hist');
    const [v1] = await replicaSets(h, 'wl-hist');
    for (const image of ['registry.local/nginx:1.27', 'drover.local/busybox:test']) {
      await update(h, 'wl-hist', withImage(image));
      await drive(h, 'wl-hist');
    }
    await until('two replica sets left', async () => (await replicaSets(h!, 'wl-hist')).length === 2);
    const sets = await replicaSets(h, 'wl-hist');
    expect(sets.some((r) => r.metadata.uid === v1!.metadata.uid)).toBe(false);
    expect(sets.map((r) => r.metadata.annotations?.[REVISION_ANNOTATION]).sort()).toEqual(['2', '3']);
  });

  it('paused: a new template makes no new ReplicaSet, replicas still follow; resuming rolls out', async () => {
    h = await start('wl-dep-');
    await h.store.create(deployment('wl-pause', { replicas: 2 }));
    await drive(h, 'wl-pause');
    await update(h, 'wl-pause', (d) => ({ ...withImage('registry.local/nginx:1.27')(d), spec: { ...withImage('registry.local/nginx:1.27')(d).spec, paused: true, replicas: 3 } }));
    await until('scaled while paused', async () => (await podsIn(h!.store)).filter(isActive).length === 3);
    await settle(h.store, 200);
    expect(await replicaSets(h, 'wl-pause')).toHaveLength(1);
    const paused = await getDeploy(h, 'wl-pause');
    expect(paused.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' });
    expect((await podsIn(h.store)).every((p) => p.spec.containers[0]!.image === 'registry.local/nginx:1.26')).toBe(true);

    await update(h, 'wl-pause', (d) => ({ ...d, spec: { ...d.spec, paused: false } }));
    await drive(h, 'wl-pause');
    expect(await replicaSets(h, 'wl-pause')).toHaveLength(2);
    expect((await podsIn(h.store)).filter(isActive).map((p) => p.spec.containers[0]!.image)).toEqual(Array(3).fill('registry.local/nginx:1.27'));
  });

  it('Available False while too few pods are available; Progressing False after progressDeadlineSeconds without progress', async () => {
    h = await start('wl-dep-');
    await h.store.create(deployment('wl-stuck', { replicas: 2, progressDeadlineSeconds: 30 }));
    await until('progressing', async () => (await getDeploy(h!, 'wl-stuck')).status?.conditions?.some((c) => c.type === 'Progressing') ?? false);
    await settle(h.store, 200);
    let d = await getDeploy(h, 'wl-stuck');
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True' });
    expect(d.status?.unavailableReplicas).toBe(2);
    h.advance(31_000);
    await until('deadline exceeded', async () => (await getDeploy(h!, 'wl-stuck')).status?.conditions?.some((c) => c.reason === 'ProgressDeadlineExceeded') ?? false);
    d = await getDeploy(h, 'wl-stuck');
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', message: expect.stringMatching(/^ReplicaSet "wl-stuck-[a-z0-9]+" has timed out progressing\.$/) });
    // Progress again: the condition comes back, and completes.
    await drive(h, 'wl-stuck');
    expect((await getDeploy(h, 'wl-stuck')).status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
  });

  it('keeps the template hash stable across restarts of the controller', async () => {
    h = await start('wl-dep-');
    await h.store.create({ ...deployment('wl-stable', { replicas: 1 }), spec: { ...deployment('wl-stable').spec, replicas: 1, template: template({ app: 'wl-stable' }) } });
    await until('rs', async () => (await replicaSets(h!, 'wl-stable')).length === 1);
    const first = (await replicaSets(h, 'wl-stable'))[0]!.metadata.name;
    await h.dispose();
    h = await start('wl-dep-');
    await h.store.create(deployment('wl-stable', { replicas: 1 }));
    await until('rs', async () => (await replicaSets(h!, 'wl-stable')).length === 1);
    expect((await replicaSets(h, 'wl-stable'))[0]!.metadata.name).toBe(first);
  });
});

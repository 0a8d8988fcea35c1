/**
 * The HPA controller on a real store and cache, with a fake clock and fake (or lease-fed) pod metrics:
 * rescale decisions, their events and conditions, stabilization, min/max and stale metrics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment, Event, Node, Pod } from '../../../../protocol/index.js';
import { defaultHorizontalPodAutoscaler } from '../../../../protocol/hpa-defaults.js';
import { hpaTargetsText } from '../../../../protocol/hpa-columns.js';
import type { HorizontalPodAutoscaler } from '../../../../protocol/objects/horizontal-pod-autoscaler.js';
import { kubeTimestamp } from '../../../../protocol/time.js';
import { createHpaController, type HpaController } from '../../../../hub/controllers/hpa/hpa-controller.js';
import { createLeaseMetricsSource, type PodMetricsSource } from '../../../../hub/controllers/hpa/metrics-source.js';
import type { PodMetric } from '../../../../hub/controllers/hpa/replica-calculator.js';
import { createNodeLeases, type NodeLeases } from '../../../../hub/leases/index.js';
import { deployment, harness, node, START, type Harness } from '../workload-support.js';

let h: Harness | undefined;
let controller: HpaController | undefined;
afterEach(async () => {
  await controller?.stop();
  controller = undefined;
  await h?.dispose();
  h = undefined;
});

const HOUR = 3_600_000;

function hpa(spec: Partial<HorizontalPodAutoscaler['spec']> = {}): HorizontalPodAutoscaler {
  return defaultHorizontalPodAutoscaler({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'gateway', namespace: 'default' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      ...spec,
    },
  });
}

/** A Running, Ready pod of the gateway Deployment, started an hour ago, requesting 200m. */
function gatewayPod(name: string, nodeName = 'pi-1'): Pod {
  const long = kubeTimestamp(START - HOUR);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'gateway' } },
    spec: { nodeName, containers: [{ name: 'web', image: 'registry.local/busybox:1', resources: { requests: { cpu: '200m', memory: '64Mi' } } }] },
    status: { phase: 'Running', startTime: long, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: long }] },
  };
}

/** Pod metrics the test sets: CPU millicores per pod (memory 32Mi each). */
function fakeMetrics(h: Harness): PodMetricsSource & { cpu: Map<string, number> } {
  const cpu = new Map<string, number>();
  return {
    cpu,
    podMetrics(pods, resource) {
      const out = new Map<string, PodMetric>();
      for (const p of pods) {
        const v = cpu.get(p.metadata.name);
        if (v !== undefined) out.set(p.metadata.name, { value: resource === 'cpu' ? v : 32 * 2 ** 20, timestamp: h.now() - 1000, windowMs: 15_000 });
      }
      return out;
    },
  };
}

async function setup(replicas: number, hpaSpec: Partial<HorizontalPodAutoscaler['spec']> = {}, metrics?: (h: Harness) => PodMetricsSource, leases: NodeLeases = createNodeLeases()) {
  h = await harness('hpa');
  await h.store.create<Deployment>(deployment('gateway', { replicas }));
  for (let i = 0; i < replicas; i++) await h.store.create(gatewayPod(`gateway-${i}`));
  const m = metrics ? metrics(h) : fakeMetrics(h);
  controller = await createHpaController({ ...h.opts, leases, metrics: m, syncPeriodMs: HOUR });
  await controller.start();
  await h.store.create(hpa(hpaSpec));
  return { h, m: m as ReturnType<typeof fakeMetrics>, controller };
}

const getHpa = async (h: Harness): Promise<HorizontalPodAutoscaler> => (await h.store.get<HorizontalPodAutoscaler>({ kind: 'HorizontalPodAutoscaler', namespace: 'default', name: 'gateway' }))!;
const replicasOf = async (h: Harness): Promise<number | undefined> => (await h.store.get<Deployment>({ kind: 'Deployment', namespace: 'default', name: 'gateway' }))?.spec.replicas;
const eventsOf = async (h: Harness, reason: string): Promise<string[]> => (await h.store.list<Event>('Event')).items.filter((e) => e.reason === reason).map((e) => e.message ?? '');
const condition = (o: HorizontalPodAutoscaler, type: string) => o.status?.conditions?.find((c) => c.type === type);

describe('the HPA controller', () => {
  it('scales a Deployment up on CPU above target, saying why', async () => {
    const { h, m, controller } = await setup(2);
    m.cpu.set('gateway-0', 180).set('gateway-1', 180); // 90% of 200m against a 50% target
    await controller.sync();
    expect(await replicasOf(h)).toBe(4); // ceil(1.8 × 2)
    expect(await eventsOf(h, 'SuccessfulRescale')).toEqual(['New size: 4; reason: cpu resource utilization (percentage of request) above target']);
    const o = await getHpa(h);
    expect(o.status).toMatchObject({ currentReplicas: 2, desiredReplicas: 4, lastScaleTime: kubeTimestamp(START) });
    expect(o.status?.currentMetrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '180m', averageUtilization: 90 } } }]);
    expect(condition(o, 'AbleToScale')).toMatchObject({ status: 'True', reason: 'SucceededRescale', message: 'the HPA controller was able to update the target scale to 4' });
    expect(condition(o, 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' });
    expect(condition(o, 'ScalingLimited')).toMatchObject({ status: 'False', reason: 'DesiredWithinRange' });
    expect(hpaTargetsText(o)).toBe('cpu: 90%/50%');
  });

  it('scales down only after the stabilization window, with All metrics below target', async () => {
    const { h, m, controller } = await setup(4, { behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } });
    for (let i = 0; i < 4; i++) m.cpu.set(`gateway-${i}`, 10); // 5%
    await controller.sync();
    expect(await replicasOf(h)).toBe(4);
    expect(condition(await getHpa(h), 'AbleToScale')).toMatchObject({ reason: 'ScaleDownStabilized' });
    h.advance(30_000);
    await controller.sync();
    expect(await replicasOf(h)).toBe(4);
    h.advance(31_000);
    await controller.sync();
    expect(await replicasOf(h)).toBe(1);
    expect(await eventsOf(h, 'SuccessfulRescale')).toEqual(['New size: 1; reason: All metrics below target']);
  });

  it('keeps the replicas between minReplicas and maxReplicas', async () => {
    const { h, m, controller } = await setup(2, { minReplicas: 2, maxReplicas: 3 });
    m.cpu.set('gateway-0', 400).set('gateway-1', 400);
    await controller.sync();
    expect(await replicasOf(h)).toBe(3);
    expect(condition(await getHpa(h), 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'TooManyReplicas' });
    // a user scales past the maximum: the HPA brings it back at once
    const d = (await h.store.get<Deployment>({ kind: 'Deployment', namespace: 'default', name: 'gateway' }))!;
    await h.store.update({ ...d, spec: { ...d.spec, replicas: 7 } });
    h.advance(15_000);
    await controller.sync();
    expect(await replicasOf(h)).toBe(3);
    expect(await eventsOf(h, 'SuccessfulRescale')).toContain('New size: 3; reason: Current number of replicas above Spec.MaxReplicas');
  });

  it('does not scale on stale metrics: the pods of an offline node count as missing, never idle', async () => {
    const leases = createNodeLeases();
    const { h, controller } = await setup(
      3,
      { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } },
      (hh) => createLeaseMetricsSource({ leases, cache: hh.opts.cache, clock: hh.now }),
      leases,
    );
    await h.store.create<Node>(node('pi-1'));
    const sample = (cpu: number) => ({
      timestamp: new Date(h!.now()).toISOString(),
      windowSeconds: 15,
      pods: [0, 1, 2].map((i) => ({ namespace: 'default', name: `gateway-${i}`, containers: [{ name: 'web', cpuNanoCores: cpu * 1e6, memoryBytes: 2 ** 25 }] })),
    });
    leases.renew('pi-1', h.now(), undefined, sample(100)); // 50%: on target
    await controller.sync();
    expect(await replicasOf(h)).toBe(3);
    expect(condition(await getHpa(h), 'ScalingActive')).toMatchObject({ status: 'True' });

    // the node goes offline: its last sample said nothing is wrong, but it cannot vouch for now
    leases.end('pi-1', h.now(), 'the agent went offline');
    h.advance(15_000);
    await controller.sync();
    expect(await replicasOf(h)).toBe(3);
    const o = await getHpa(h);
    expect(condition(o, 'ScalingActive')).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric' });
    expect((await eventsOf(h, 'FailedGetResourceMetric'))[0]).toMatch(/unable to get metrics for resource cpu: did not receive metrics for targeted pods/);

    // back, but its sample is old: still nothing to decide on
    leases.renew('pi-1', h.now());
    h.advance(120_000);
    await controller.sync();
    expect(await replicasOf(h)).toBe(3);

    // a fresh sample of idle pods: now the scale-down is real
    leases.renew('pi-1', h.now(), undefined, sample(5));
    h.advance(1000);
    await controller.sync();
    expect(await replicasOf(h)).toBe(1);
  });

  it('reports a target it cannot scale as AbleToScale False (FailedGetScale)', async () => {
    const { h, controller } = await setup(1, { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nope' } });
    await controller.sync();
    const o = await getHpa(h);
    expect(condition(o, 'AbleToScale')).toMatchObject({ status: 'False', reason: 'FailedGetScale' });
    expect((await eventsOf(h, 'FailedGetScale'))[0]).toBe('deployments.apps "nope" not found');
  });

  it('scales on a memory average value', async () => {
    const { h, m, controller } = await setup(1, { metrics: [{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '16Mi' } } }] });
    m.cpu.set('gateway-0', 0); // the fake reports 32Mi for each pod it knows
    await controller.sync();
    expect(await replicasOf(h)).toBe(2);
    expect(await eventsOf(h, 'SuccessfulRescale')).toEqual(['New size: 2; reason: memory resource above target']);
    expect(hpaTargetsText(await getHpa(h))).toBe('memory: 32Mi/16Mi');
  });
});

/**
 * kubectl 1.32's HPA commands against a real hub (in-process, HTTPS, its HPA controller running):
 * `kubectl autoscale` (an autoscaling/v1 body in protobuf, stored as v2), `get hpa` with the server's
 * columns, `get hpa -o yaml` (v2, the preferred version, with the API's defaults), `describe hpa` with
 * the controller's conditions and its SuccessfulRescale event, `explain hpa.spec.behavior`, `delete hpa`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../e2e/support.js';
import { startCompatHub, type CompatHub } from './support.js';

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: gateway }
spec:
  replicas: 1
  selector: { matchLabels: { app: gateway } }
  template:
    metadata: { labels: { app: gateway } }
    spec:
      containers:
        - name: main
          image: drover.local/busybox:test
          resources: { requests: { cpu: 100m } }
`;

describe('kubectl autoscale, get/describe/explain/delete hpa (real kubectl 1.32, real hub)', () => {
  let h: CompatHub;
  beforeAll(async () => {
    h = await startCompatHub('autoscale', { hpa: { syncPeriodMs: 1000 } });
    expect((await h.kubectl(['apply', '-f', '-'], deployment)).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('creates, shows, explains and deletes an HPA', async () => {
    const created = await h.kubectl(['autoscale', 'deployment', 'gateway', '--min', '2', '--max', '10', '--cpu-percent', '60']);
    expect(created.out).toBe('horizontalpodautoscaler.autoscaling/gateway autoscaled');
    // below minReplicas: the controller scales the Deployment to 2 at once (no metrics needed)
    await waitFor('the rescale to minReplicas', async () => ((await h.kubectl(['get', 'deploy', 'gateway', '-o', 'jsonpath={.spec.replicas}'])).stdout === '2' ? true : undefined), 30_000);

    const table = await h.kubectl(['get', 'hpa']);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
    expect(table.stdout).toMatch(/gateway\s+Deployment\/gateway\s+cpu: <unknown>\/60%\s+2\s+10\s+\d+\s+\S+/);

    const yaml = await h.kubectl(['get', 'hpa', 'gateway', '-o', 'yaml']);
    expect(yaml.stdout).toMatch(/^apiVersion: autoscaling\/v2$/m);
    expect(yaml.stdout).toMatch(/averageUtilization: 60/);

    const described = await h.kubectl(['describe', 'hpa', 'gateway']);
    expect(described.out).toMatch(/Reference:\s+Deployment\/gateway/);
    expect(described.out).toMatch(/Min replicas:\s+2/);
    expect(described.out).toMatch(/SuccessfulRescale\s.*New size: 2; reason: Current number of replicas below Spec.MinReplicas/);

    const explained = await h.kubectl(['explain', 'hpa.spec.behavior.scaleDown']);
    expect(explained.out).toMatch(/stabilizationWindowSeconds/);

    expect((await h.kubectl(['delete', 'hpa', 'gateway'])).out).toBe('horizontalpodautoscaler.autoscaling "gateway" deleted');
    expect((await h.kubectl(['get', 'hpa'])).out).toMatch(/No resources found/);
  }, 120_000);
});

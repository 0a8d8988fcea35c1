/**
 * kubectl's typed-client commands against a real hub: `create deployment|configmap|secret|namespace`
 * send Kubernetes protobuf bodies, and `cordon`, `drain` (pods listed by spec.nodeName, evicted through
 * pods/eviction as protobuf, waited for until the agent has stopped them; DaemonSet pods skipped) and
 * `uncordon` work against a node joined by a real agent; a PodDisruptionBudget (`kubectl create pdb`, protobuf
 * too) refuses an eviction with 429 and kubectl prints Kubernetes' message.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaFetch } from '../../hub/cli/tls-fetch.js';
import { startDrover, waitFor, TEST_IMAGE, type Proc } from '../e2e/support.js';
import { startCompatHub, type CompatHub } from './support.js';

const NODE = 'compat-drain-node';
const NS = 'drain-test';

const sleepers = `apiVersion: apps/v1
kind: Deployment
metadata: { name: sleepers, namespace: ${NS} }
spec:
  replicas: 1
  selector: { matchLabels: { app: sleepers } }
  template:
    metadata: { labels: { app: sleepers } }
    spec:
      terminationGracePeriodSeconds: 1
      volumes: [{ name: scratch, emptyDir: {} }]
      containers:
        - name: main
          image: ${TEST_IMAGE}
          imagePullPolicy: Never
          command: ["sleep", "3600"]
          volumeMounts: [{ name: scratch, mountPath: /scratch }]
`;

const daemons = `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agents, namespace: ${NS} }
spec:
  selector: { matchLabels: { app: agents } }
  template:
    metadata: { labels: { app: agents } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: ${TEST_IMAGE}
          imagePullPolicy: Never
          command: ["sleep", "3600"]
`;

async function removeContainers(): Promise<void> {
  const r = await execa('docker', ['ps', '-aq', '--filter', `label=io.drover.pod.namespace=${NS}`], { reject: false });
  const ids = r.stdout.split('\n').filter(Boolean);
  if (ids.length) await execa('docker', ['rm', '-f', ...ids], { reject: false });
}

describe('kubectl create (protobuf bodies) and cordon/drain/uncordon (real kubectl, real hub, real agent)', () => {
  let h: CompatHub;
  let agent: Proc | undefined;
  beforeAll(async () => {
    h = await startCompatHub('create-drain');
  });
  afterAll(async () => {
    if (h) await h.kubectl(['delete', 'namespace', NS, '--wait=false']);
    await agent?.stop();
    await removeContainers();
    await h?.close();
  });

  it('kubectl create deployment sends protobuf and the Deployment is stored as asked', async () => {
    const r = await h.kubectl(['create', 'deployment', 'web', '--image=registry.local/nginx:1.27', '--replicas=2']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/deployment.apps\/web created/);
    const got = await h.kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.selector.matchLabels.app}']);
    expect(got.stdout).toBe('2 registry.local/nginx:1.27 web');
  });

  it('kubectl create configmap, secret generic (the value reads back exactly) and namespace', async () => {
    const cm = await h.kubectl(['create', 'configmap', 'c', '--from-literal=a=b']);
    expect(cm.code, cm.out).toBe(0);
    expect((await h.kubectl(['get', 'configmap', 'c', '-o', 'jsonpath={.data.a}'])).stdout).toBe('b');
    const secret = await h.kubectl(['create', 'secret', 'generic', 's', '--from-literal=k=v']);
    expect(secret.code, secret.out).toBe(0);
    const data = (await h.kubectl(['get', 'secret', 's', '-o', 'jsonpath={.data.k}'])).stdout;
    expect(Buffer.from(data, 'base64').toString()).toBe('v');
    const ns = await h.kubectl(['create', 'namespace', 'n']);
    expect(ns.code, ns.out).toBe(0);
    expect((await h.kubectl(['get', 'namespace', 'n', '-o', 'jsonpath={.status.phase}'])).stdout).toBe('Active');
  });

  it('kubectl create service (IntOrString target port) and kubectl run (a Pod with a port, env and labels), as protobuf', async () => {
    const svc = await h.kubectl(['create', 'service', 'clusterip', 'svc1', '--tcp=80:8080']);
    expect(svc.code, svc.out).toBe(0);
    expect((await h.kubectl(['get', 'svc', 'svc1', '-o', 'jsonpath={.spec.type} {.spec.ports[0].port} {.spec.ports[0].targetPort}'])).stdout).toBe('ClusterIP 80 8080');
    const run = await h.kubectl(['run', 'p1', '--image=registry.local/nginx:1.27', '--port=80', '--labels=app=p1', '--env=A=1']);
    expect(run.code, run.out).toBe(0);
    const got = await h.kubectl(['get', 'pod', 'p1', '-o', 'jsonpath={.metadata.labels.app} {.spec.containers[0].ports[0].containerPort} {.spec.containers[0].env[0].value}']);
    expect(got.stdout).toBe('p1 80 1');
    expect((await h.kubectl(['delete', 'pod', 'p1', '--grace-period=0', '--force'])).code).toBe(0);
  });

  it('cordon, a PDB refusing an eviction with 429, drain and uncordon against a node with a real agent', async () => {
    // the first test's pods are not scheduled yet (no node): gone at once, so the agent never runs them
    expect((await h.kubectl(['delete', 'deployment', 'web'])).code).toBe(0);
    await waitFor('the web pods to be gone', async () => (await h.kubectl(['get', 'pods', '-n', 'default', '-o', 'name'])).stdout.trim() === '');
    const call = createCaFetch(await readFile(h.hub.caCertPath, 'utf8'));
    const tokenRes = await call(`${h.hub.httpUrl}/apis/drover.io/v1/jointokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.hub.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ttlSeconds: 600 }),
    });
    expect(tokenRes.status).toBe(201);
    const { token } = (await tokenRes.json()) as { token: string };
    agent = startDrover(
      ['agent', '--hub', h.hub.mqttUrl, '--name', NODE, '--runtime', 'docker', '--data-dir', join(h.dir, 'agent'), '--status-interval', '2', '--no-pod-network'],
      { DROVER_JOIN_TOKEN: token },
    );
    await waitFor('the node to be Ready', async () => {
      const r = await h.kubectl(['get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      return r.stdout === 'True';
    }, 90_000, 1000);

    expect((await h.kubectl(['create', 'namespace', NS])).code).toBe(0);
    const applied = await h.kubectl(['apply', '-f', '-'], sleepers + '---\n' + daemons);
    expect(applied.code, applied.out).toBe(0);
    // kubectl create poddisruptionbudget sends a policy/v1 PodDisruptionBudget as protobuf
    const pdb = await h.kubectl(['create', 'poddisruptionbudget', 'sleepers', '-n', NS, '--selector=app=sleepers', '--min-available=1']);
    expect(pdb.code, pdb.out).toBe(0);
    expect((await h.kubectl(['get', 'pdb', 'sleepers', '-n', NS, '-o', 'jsonpath={.spec.minAvailable} {.spec.selector.matchLabels.app}'])).stdout).toBe('1 sleepers');
    const pdbTable = await h.kubectl(['get', 'pdb', '-n', NS]);
    expect(pdbTable.stdout.split('\n')[0]!.trim().split(/\s{2,}/)).toEqual(['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']);
    const daemonPod = await waitFor('the DaemonSet pod to run', async () => {
      const r = await h.kubectl(['get', 'pods', '-n', NS, '-l', 'app=agents', '-o', 'jsonpath={.items[0].metadata.name} {.items[0].status.phase}']);
      return r.stdout.endsWith(' Running') ? r.stdout.split(' ')[0] : undefined;
    }, 90_000, 1000);
    const podName = await waitFor('the sleeper pod to be Ready', async () => {
      const r = await h.kubectl(['get', 'pods', '-n', NS, '-l', 'app=sleepers', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
      const line = r.stdout.split('\n').find((l) => l.endsWith(' True'));
      return line?.split(' ')[0];
    }, 90_000, 1000);

    const pdbRow = (await h.kubectl(['get', 'pdb', 'sleepers', '-n', NS, '--no-headers'])).stdout.trim().split(/\s+/);
    expect(pdbRow.slice(0, 4)).toEqual(['sleepers', '1', 'N/A', '0']); // one healthy pod, one needed: no disruption allowed

    const cordon = await h.kubectl(['cordon', NODE]);
    expect(cordon.code, cordon.out).toBe(0);
    expect(cordon.out).toMatch(new RegExp(`node/${NODE} cordoned`));
    expect((await h.kubectl(['get', 'node', NODE, '-o', 'jsonpath={.spec.unschedulable}'])).stdout).toBe('true');

    // the budget wants 1 healthy pod and there is 1: the eviction is refused and drain gives up at its timeout
    const refused = await h.kubectl(['drain', NODE, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=8s']);
    expect(refused.code).not.toBe(0);
    expect(refused.out).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect((await h.kubectl(['get', 'pod', podName, '-n', NS, '-o', 'jsonpath={.metadata.deletionTimestamp}'])).stdout).toBe('');

    expect((await h.kubectl(['delete', 'pdb', 'sleepers', '-n', NS])).code).toBe(0);
    const drained = await h.kubectl(['drain', NODE, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=90s']);
    expect(drained.code, drained.out).toBe(0);
    expect(drained.out).toContain(`pod/${podName} evicted`);
    // DaemonSet-owned pods are skipped (kubectl reads their ownerReferences and the DaemonSet)
    expect(drained.out).toMatch(new RegExp(`Warning: ignoring DaemonSet-managed Pods: ${NS}/${daemonPod}`));
    expect((await h.kubectl(['get', 'pod', daemonPod, '-n', NS, '-o', 'jsonpath={.metadata.deletionTimestamp}'])).stdout).toBe('');
    expect(drained.out).toMatch(new RegExp(`node/${NODE} drained`));
    expect((await h.kubectl(['get', 'pod', podName, '-n', NS])).code).not.toBe(0);

    const uncordon = await h.kubectl(['uncordon', NODE]);
    expect(uncordon.code, uncordon.out).toBe(0);
    expect(uncordon.out).toMatch(new RegExp(`node/${NODE} uncordoned`));
    expect((await h.kubectl(['get', 'node', NODE, '-o', 'jsonpath={.spec.unschedulable}'])).stdout).toBe('');
  }, 300_000);
});
